// SPDX-License-Identifier: MIT
// The one place that knows about the thread pool (TBB). Everything parallel in ilpkit goes
// through these helpers so thread limits and block pipelines behave the same everywhere.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace ilpkit {

/// fn(i) for every i in [0, n), in parallel. Deterministic when fn(i) writes only its own outputs.
void parallel_for(std::size_t n, const std::function<void(std::size_t)>& fn);

/// Runs fn with at most `threads` worker threads (0 = one per core); nested parallel_for and
/// run_blockwise calls inherit the limit.
void with_thread_limit(int threads, const std::function<void()>& fn);

/// Work on one block between its read and its write.
class BlockWork {
 public:
  virtual ~BlockWork() = default;
  virtual void compute() = 0;
};

/// The blockwise pipeline: read(i) runs serially in block order (I/O stays out of the compute
/// threads), compute runs in parallel, write runs serially in block order. At most `in_flight`
/// blocks are alive at once, which bounds memory by the block size.
struct BlockPipeline {
  std::size_t blocks = 0;
  std::function<std::unique_ptr<BlockWork>(std::size_t)> read;
  std::function<void(BlockWork&, std::size_t)> write;
  std::size_t in_flight = 0;  ///< 0: twice the thread count
};
/// Throws Error(Interrupted) from its stages once request_stop() was called.
void run_blockwise(const BlockPipeline& pipeline);

/// Asks running and later blockwise work to stop (async-signal-safe: a signal handler may call
/// it). The error unwinds through the writers, which remove their temporary files.
void request_stop() noexcept;
bool stop_requested() noexcept;

/// Threads the current arena may use.
int current_thread_limit();

}  // namespace ilpkit
