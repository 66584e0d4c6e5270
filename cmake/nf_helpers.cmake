# nf_cc_library(NAME name SRCS ... [HDRS ...] [DEPS ...] [PRIVATE_DEPS ...])
# One static library per folder, aliased as neurofeat::<name without nf_>.
function(nf_cc_library)
  cmake_parse_arguments(NF "" "NAME" "SRCS;HDRS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${NF_NAME} STATIC ${NF_SRCS} ${NF_HDRS})
  target_include_directories(${NF_NAME} PUBLIC "${PROJECT_SOURCE_DIR}")
  target_link_libraries(${NF_NAME} PUBLIC ${NF_DEPS} PRIVATE ${NF_PRIVATE_DEPS})
  string(REGEX REPLACE "^nf_" "" alias_name "${NF_NAME}")
  add_library(neurofeat::${alias_name} ALIAS ${NF_NAME})
endfunction()

# nf_cc_test(NAME name SRCS ... DEPS ... [LABELS ...]): one gtest executable,
# discovered by ctest. Tests under tests/server, tests/integration and
# tests/fault are labelled "server" (the ThreadSanitizer run selects them).
function(nf_cc_test)
  cmake_parse_arguments(NF "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  set(labels ${NF_LABELS})
  if(CMAKE_CURRENT_SOURCE_DIR MATCHES "/tests/(server|integration|fault)$")
    list(APPEND labels server)
  endif()
  if(NOT labels)
    set(labels unit)
  endif()
  add_executable(${NF_NAME} ${NF_SRCS})
  target_link_libraries(${NF_NAME} PRIVATE ${NF_DEPS} nf_testing GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${NF_NAME} PRIVATE
    NF_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
    NF_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${NF_NAME} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 600 LABELS "${labels}")
endfunction()

# nf_grpc_pch(target): the gRPC, protobuf and Abseil headers every edge file
# includes, compiled once per target instead of once per file (each of those
# files otherwise spends most of its build parsing them).
function(nf_grpc_pch target)
  target_precompile_headers(${target} PRIVATE
    <grpcpp/grpcpp.h> <google/protobuf/message.h> <google/protobuf/util/json_util.h>
    <absl/status/statusor.h> <absl/strings/str_cat.h> <string> <vector> <memory> <functional>)
endfunction()
