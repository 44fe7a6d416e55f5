// SPDX-License-Identifier: MIT
#include "ilpkit/parallel.hpp"

#include <atomic>
#include <map>
#include <mutex>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>

#include "ilpkit/error.hpp"

namespace ilpkit {

void parallel_for(std::size_t n, const std::function<void(std::size_t)>& fn) {
  if (n == 1) {
    fn(0);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 1), [&](const tbb::blocked_range<std::size_t>& r) {
    for (std::size_t i = r.begin(); i != r.end(); ++i) fn(i);
  });
}

void with_thread_limit(int threads, const std::function<void()>& fn) {
  if (threads <= 0) {
    fn();
    return;
  }
  tbb::task_arena arena(threads);
  arena.execute(fn);
}

int current_thread_limit() { return tbb::this_task_arena::max_concurrency(); }

namespace {
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "request_stop runs in signal handlers");

void check_stop() {
  if (g_stop.load(std::memory_order_relaxed)) throw Error(ErrorKind::Interrupted, "interrupted");
}
}  // namespace

void request_stop() noexcept { g_stop.store(true, std::memory_order_relaxed); }
bool stop_requested() noexcept { return g_stop.load(std::memory_order_relaxed); }

void run_blockwise(const BlockPipeline& p) {
  check_stop();
  if (p.blocks == 0) return;
  std::size_t tokens = p.in_flight ? p.in_flight : 2 * static_cast<std::size_t>(current_thread_limit());
  std::size_t next = 0;
  struct Item {
    std::unique_ptr<BlockWork> work;
    std::size_t index = 0;
  };
  // TBB does not destroy the values buffered between stages when an exception cancels the
  // pipeline, so the stages pass raw pointers and the items live here until written.
  std::mutex live_mutex;
  std::map<std::size_t, std::unique_ptr<Item>> live;
  tbb::parallel_pipeline(
      tokens,
      tbb::make_filter<void, Item*>(tbb::filter_mode::serial_in_order,
                                    [&](tbb::flow_control& fc) -> Item* {
                                      if (next == p.blocks) {
                                        fc.stop();
                                        return nullptr;
                                      }
                                      check_stop();
                                      auto item = std::make_unique<Item>();
                                      item->index = next;
                                      item->work = p.read(next++);
                                      Item* raw = item.get();
                                      std::lock_guard<std::mutex> lock(live_mutex);
                                      live.emplace(raw->index, std::move(item));
                                      return raw;
                                    }) &
          tbb::make_filter<Item*, Item*>(tbb::filter_mode::parallel,
                                         [](Item* item) {
                                           check_stop();
                                           item->work->compute();
                                           return item;
                                         }) &
          tbb::make_filter<Item*, void>(tbb::filter_mode::serial_in_order, [&](Item* item) {
            p.write(*item->work, item->index);
            std::lock_guard<std::mutex> lock(live_mutex);
            live.erase(item->index);
          }));
}

}  // namespace ilpkit
