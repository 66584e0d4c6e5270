// File: mutex.h
//
// Mutex, MutexLock, CondVar: a mutex that clang's thread-safety analysis
// understands (ABSL_GUARDED_BY and friends) and ThreadSanitizer sees. It is
// std::mutex underneath: Debian's Abseil is not built with ThreadSanitizer,
// so absl::Mutex's locking happens in uninstrumented code and every access
// it protects would be reported as a race; std::mutex goes through pthread,
// which ThreadSanitizer intercepts.
//
// Example:
//   Mutex mu_;
//   int count_ ABSL_GUARDED_BY(mu_) = 0;
//   void Add() ABSL_LOCKS_EXCLUDED(mu_) { MutexLock lock(&mu_); ++count_; }
#ifndef NEUROFEAT_CORE_MUTEX_H_
#define NEUROFEAT_CORE_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"

namespace neurofeat {

class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// MutexLock holds a Mutex for its scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// CondVar waits on a held Mutex.
class CondVar {
 public:
  void Wait(Mutex* mu) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  // WaitFor() returns after `timeout` at most (or a signal, or spuriously).
  template <typename Rep, typename Period>
  void WaitFor(Mutex* mu, std::chrono::duration<Rep, Period> timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait_for(lock, timeout);
    lock.release();
  }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace neurofeat

#endif  // NEUROFEAT_CORE_MUTEX_H_
