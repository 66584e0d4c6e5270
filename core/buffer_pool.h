// File: buffer_pool.h
//
// BufferPool: recycles the large, short-lived sample buffers of chunked
// processing (tens of MB per chunk and step). Allocators hand blocks that big
// back to the kernel on free, so every chunk would touch fresh pages and pay
// a page fault per 4 KiB; on virtual machines that costs more than filtering
// the chunk. The pool keeps freed blocks (up to a byte cap) and reuses one of
// similar size. It is the process's memory cache for samples, as the compute
// arena is its CPU pool: the one other sanctioned process-wide object.
//
// Example:
//   BufferPool::Block b = BufferPool::Default().Acquire(bytes);
//   std::memset(b.get(), 0, bytes);   // returned to the pool when b dies
#ifndef NEUROFEAT_CORE_BUFFER_POOL_H_
#define NEUROFEAT_CORE_BUFFER_POOL_H_

#include <cstddef>
#include <map>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "core/mutex.h"

namespace neurofeat {

class BufferPool {
 public:
  struct Deleter {
    BufferPool* pool = nullptr;
    size_t capacity = 0;
    // A borrowed block belongs to someone else and is never freed.
    bool borrowed = false;
    void operator()(std::byte* p) const;
  };
  using Block = std::unique_ptr<std::byte[], Deleter>;

  // `max_cached_bytes`: free blocks kept for reuse beyond that are released.
  explicit BufferPool(size_t max_cached_bytes) : max_cached_bytes_(max_cached_bytes) {}
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  // Default() is the process-wide pool (cap 1 GiB until SetMaxCachedBytes).
  static BufferPool& Default();

  // Acquire() returns a 64-byte aligned block of at least `bytes`, reusing a
  // cached block of up to 1.25x that size when there is one. Thread-safe.
  Block Acquire(size_t bytes) ABSL_LOCKS_EXCLUDED(mu_);

  // SetMaxCachedBytes() changes the cap and releases blocks above it.
  void SetMaxCachedBytes(size_t bytes) ABSL_LOCKS_EXCLUDED(mu_);
  size_t cached_bytes() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Release(std::byte* p, size_t capacity) ABSL_LOCKS_EXCLUDED(mu_);
  void TrimLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable Mutex mu_;
  size_t max_cached_bytes_ ABSL_GUARDED_BY(mu_);
  size_t cached_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::multimap<size_t, std::byte*> free_ ABSL_GUARDED_BY(mu_);  // capacity -> block
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_BUFFER_POOL_H_
