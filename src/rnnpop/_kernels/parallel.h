// Splitting a kernel's work over XLA:CPU's thread pool (shared by the rnnpop kernels).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "xla/ffi/api/ffi.h"

namespace rnnpop {

// work(part, first, last) over [0, count) in `parts` contiguous parts. The caller takes parts
// too, so the work is done even when no pool thread is free; the state is shared with the
// pool's tasks, so a task that starts after the call has returned finds no part left.
struct Split {
  std::function<void(int64_t, int64_t, int64_t)> work;
  int64_t count = 0, parts = 1;
  std::atomic<int64_t> next{0}, done{0};

  void run() {
    for (int64_t q; (q = next.fetch_add(1)) < parts;) {
      work(q, count * q / parts, count * (q + 1) / parts);
      done.fetch_add(1, std::memory_order_release);
    }
  }
};

// One part per pool thread (at most one per item, at least one).
inline int64_t part_count(xla::ffi::ThreadPool& pool, int64_t count) {
  return std::max<int64_t>(1, std::min<int64_t>(pool.num_threads(), count));
}

// Runs every part of `s`, on the pool and the calling thread; returns when all are done.
inline void run_parts(xla::ffi::ThreadPool& pool, const std::shared_ptr<Split>& s) {
  for (int64_t t = 1; t < s->parts; ++t) pool.Schedule([s]() { s->run(); });
  s->run();
  while (s->done.load(std::memory_order_acquire) < s->parts) std::this_thread::yield();
}

// work(part, first, last) over [0, count) in `parts` parts (run_parts); returns when all are done.
inline void in_parts(xla::ffi::ThreadPool& pool, int64_t count, int64_t parts,
                     std::function<void(int64_t, int64_t, int64_t)> work) {
  auto s = std::make_shared<Split>();
  s->count = count;
  s->parts = parts;
  s->work = std::move(work);
  run_parts(pool, s);
}

// The same in one part per pool thread (part_count).
inline void in_parts(xla::ffi::ThreadPool& pool, int64_t count, std::function<void(int64_t, int64_t, int64_t)> work) {
  in_parts(pool, count, part_count(pool, count), std::move(work));
}

}  // namespace rnnpop
