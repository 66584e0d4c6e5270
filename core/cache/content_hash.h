// File: content_hash.h
//
// Content keys for the result cache: SHA-256 (OpenSSL) of samples and files,
// computed as a tree hash over fixed-size blocks so the blocks hash in
// parallel in the compute arena; and the identity (device, inode, size,
// mtime) under which a file's digest is remembered, so a second request
// does not re-read a whole file to find its key.
#ifndef NEUROFEAT_CORE_CACHE_CONTENT_HASH_H_
#define NEUROFEAT_CORE_CACHE_CONTENT_HASH_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace neurofeat {

// Sha256Hex() is the hex SHA-256 of `data`.
std::string Sha256Hex(const void* data, size_t bytes);
inline std::string Sha256Hex(const std::string& s) { return Sha256Hex(s.data(), s.size()); }
// Sha256Raw() is the 32-byte digest.
std::string Sha256Raw(const void* data, size_t bytes);

// Default block for tree hashes.
inline constexpr size_t kHashBlockBytes = size_t{4} << 20;

// HashBytes() is the hex SHA-256 over the SHA-256s of consecutive
// `block`-byte pieces (and the total length). Runs its blocks in parallel:
// call it inside the compute arena.
std::string HashBytes(const void* data, size_t bytes, size_t block = kHashBlockBytes);

// HashFile() is HashBytes() of a whole file, read in parallel blocks.
absl::StatusOr<std::string> HashFile(const std::string& path, size_t block = kHashBlockBytes);

// FileIdentity() is "dev:ino:size:mtime_ns" of a file.
absl::StatusOr<std::string> FileIdentity(const std::string& path);

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_CACHE_CONTENT_HASH_H_
