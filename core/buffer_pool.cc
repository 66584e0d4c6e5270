#include "core/buffer_pool.h"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

namespace neurofeat {
namespace {

constexpr size_t kAlignment = 64;
// Below this, the general allocator's own caches do well.
constexpr size_t kPoolMinBytes = 1 << 20;
// Blocks from this size on are aligned to, and rounded up to, 2 MiB and
// offered to the kernel as transparent huge pages (as numpy does for its
// large arrays). Chunks are read by row across many channels, so a 4 KiB
// page holds under three rows and the TLB, not the cache, was the limit.
constexpr size_t kHugePageBytes = size_t{2} << 20;
constexpr size_t kHugeMinBytes = size_t{4} << 20;

void* AllocateBlock(size_t capacity) {
  if (capacity < kHugeMinBytes) return std::aligned_alloc(kAlignment, capacity);
  void* p = std::aligned_alloc(kHugePageBytes, capacity);
#ifdef MADV_HUGEPAGE
  // Advice only: where THP is off the call fails and nothing changes.
  if (p != nullptr) ::madvise(p, capacity, MADV_HUGEPAGE);
#endif
  return p;
}

size_t BlockCapacity(size_t bytes) {
  const size_t align = bytes >= kHugeMinBytes ? kHugePageBytes : kAlignment;
  const size_t capacity = (bytes + align - 1) / align * align;
  return capacity == 0 ? kAlignment : capacity;
}

}  // namespace

void BufferPool::Deleter::operator()(std::byte* p) const {
  if (p == nullptr || borrowed) return;
  if (pool == nullptr) {
    std::free(p);
  } else {
    pool->Release(p, capacity);
  }
}

BufferPool::~BufferPool() {
  for (auto& [cap, p] : free_) std::free(p);
}

BufferPool& BufferPool::Default() {
  static BufferPool pool(size_t{1} << 30);
  return pool;
}

BufferPool::Block BufferPool::Acquire(size_t bytes) {
  const size_t capacity = BlockCapacity(bytes);
  if (capacity >= kPoolMinBytes) {
    MutexLock lock(&mu_);
    auto it = free_.lower_bound(capacity);
    if (it != free_.end() && it->first <= capacity + capacity / 4) {
      std::byte* p = it->second;
      const size_t cap = it->first;
      cached_bytes_ -= cap;
      free_.erase(it);
      return Block(p, Deleter{this, cap});
    }
  }
  void* p = AllocateBlock(capacity);
  if (p == nullptr) throw std::bad_alloc();
  return Block(static_cast<std::byte*>(p),
               Deleter{capacity >= kPoolMinBytes ? this : nullptr, capacity});
}

void BufferPool::Release(std::byte* p, size_t capacity) {
  MutexLock lock(&mu_);
  if (capacity > max_cached_bytes_) {
    std::free(p);
    return;
  }
  free_.emplace(capacity, p);
  cached_bytes_ += capacity;
  TrimLocked();
}

void BufferPool::TrimLocked() {
  // Drop the largest blocks first: they are the likeliest one-offs.
  while (cached_bytes_ > max_cached_bytes_ && !free_.empty()) {
    auto last = std::prev(free_.end());
    cached_bytes_ -= last->first;
    std::free(last->second);
    free_.erase(last);
  }
}

void BufferPool::SetMaxCachedBytes(size_t bytes) {
  MutexLock lock(&mu_);
  max_cached_bytes_ = bytes;
  TrimLocked();
}

size_t BufferPool::cached_bytes() const {
  MutexLock lock(&mu_);
  return cached_bytes_;
}

}  // namespace neurofeat
