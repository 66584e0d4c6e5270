// File: run_server.h
//
// RunServer(): builds neurofeatd from its options (limits, compute arena,
// data roots, upload spool, result cache, admission, metrics, the gRPC
// server with health and reflection), serves until SIGTERM or SIGINT, then
// drains: health NOT_SERVING and new work UNAVAILABLE with the port still
// open, for the drain notice and until running calls end or the grace
// period passes. REQUIRES: SIGTERM and SIGINT blocked in every thread (main
// does it before any thread starts); RunServer takes them with sigwait.
#ifndef NEUROFEAT_SERVER_RUN_SERVER_H_
#define NEUROFEAT_SERVER_RUN_SERVER_H_

#include "absl/status/status.h"
#include "server/server_options.h"

namespace neurofeat::server {

// Errors: InvalidArgument for options that do not hold (a data root that
// is not a directory, TLS without a key...), Unavailable when it cannot
// listen. OK after a clean drain.
absl::Status RunServer(const ServerOptions& options);

}  // namespace neurofeat::server

#endif  // NEUROFEAT_SERVER_RUN_SERVER_H_
