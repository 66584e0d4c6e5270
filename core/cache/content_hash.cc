#include "core/cache/content_hash.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/io/npy.h"
#include "core/io/regular_file.h"
#include "core/status_macros.h"
#include "tbb/parallel_for.h"

namespace neurofeat {
namespace {

std::string Hex(const unsigned char* d, size_t n) {
  std::string hex;
  for (size_t i = 0; i < n; ++i) absl::StrAppendFormat(&hex, "%02x", d[i]);
  return hex;
}

// The root of the tree hash: SHA-256 of the block digests and the length.
std::string Root(const std::vector<unsigned char>& digests, size_t bytes) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, digests.data(), digests.size());
  const uint64_t n = bytes;
  SHA256_Update(&ctx, &n, sizeof(n));
  unsigned char root[SHA256_DIGEST_LENGTH];
  SHA256_Final(root, &ctx);
  return Hex(root, sizeof(root));
}

}  // namespace

std::string Sha256Hex(const void* data, size_t bytes) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(static_cast<const unsigned char*>(data), bytes, d);
  return Hex(d, sizeof(d));
}

std::string Sha256Raw(const void* data, size_t bytes) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(static_cast<const unsigned char*>(data), bytes, d);
  return std::string(reinterpret_cast<const char*>(d), sizeof(d));
}

std::string HashBytes(const void* data, size_t bytes, size_t block) {
  const size_t blocks = bytes == 0 ? 0 : (bytes + block - 1) / block;
  std::vector<unsigned char> digests(blocks * SHA256_DIGEST_LENGTH);
  tbb::parallel_for(size_t{0}, blocks, [&](size_t b) {
    const size_t begin = b * block, end = std::min(bytes, begin + block);
    SHA256(static_cast<const unsigned char*>(data) + begin, end - begin,
           digests.data() + b * SHA256_DIGEST_LENGTH);
  });
  return Root(digests, bytes);
}

absl::StatusOr<std::string> HashFile(const std::string& path, size_t block) {
  NF_ASSIGN_OR_RETURN(OpenedFile file, OpenRegularFile(path));
  const int fd = file.fd.get();
  const size_t bytes = static_cast<size_t>(file.size);
  const size_t blocks = bytes == 0 ? 0 : (bytes + block - 1) / block;
  std::vector<unsigned char> digests(blocks * SHA256_DIGEST_LENGTH);
  std::vector<absl::Status> errors(blocks);
  tbb::parallel_for(size_t{0}, blocks, [&](size_t b) {
    const size_t begin = b * block, end = std::min(bytes, begin + block);
    std::vector<unsigned char> buf(end - begin);
    errors[b] = PreadFully(fd, buf.data(), buf.size(), static_cast<int64_t>(begin), path);
    if (errors[b].ok()) SHA256(buf.data(), buf.size(), digests.data() + b * SHA256_DIGEST_LENGTH);
  });
  for (const absl::Status& e : errors) NF_RETURN_IF_ERROR(e);
  return Root(digests, bytes);
}

absl::StatusOr<std::string> FileIdentity(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return absl::NotFoundError(absl::StrCat("cannot stat ", path));
  return absl::StrCat(st.st_dev, ":", st.st_ino, ":", st.st_size, ":",
                      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
}

}  // namespace neurofeat
