// SPDX-License-Identifier: MIT
#include "volume.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <new>
#include <utility>
#include <vector>

namespace ilpkit::features {

namespace {

// Buffers released by finished volumes, reused by the next volume of the same thread.
thread_local std::vector<Volume::Buffer> pool;

// Large buffers (presmoothed volumes, rings of big planes) are 2 MB aligned and marked for
// transparent huge pages: first use then faults in 512 times fewer pages.
float* allocate(std::size_t floats) {
  constexpr std::size_t kHuge = std::size_t{2} << 20;
  const std::size_t bytes = std::max<std::size_t>(floats, 1) * sizeof(float);
  if (bytes < kHuge) {
    void* p = std::malloc(bytes);
    if (!p) throw std::bad_alloc();
    return static_cast<float*>(p);
  }
  const std::size_t rounded = (bytes + kHuge - 1) / kHuge * kHuge;
  void* p = std::aligned_alloc(kHuge, rounded);
  if (!p) throw std::bad_alloc();
  ::madvise(p, rounded, MADV_HUGEPAGE);
  return static_cast<float*>(p);
}

Volume::Buffer take(std::size_t size) {
  std::size_t best = pool.size();
  for (std::size_t i = 0; i < pool.size(); ++i)
    if (pool[i].capacity >= size && (best == pool.size() || pool[i].capacity < pool[best].capacity)) best = i;
  if (best == pool.size()) return {std::unique_ptr<float, Volume::Free>(allocate(size)), size};
  Volume::Buffer out = std::move(pool[best]);
  pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(best));
  return out;
}

void give(Volume::Buffer&& b) {
  if (!b.data) return;
  constexpr std::size_t kMaxPooled = 48;
  if (pool.size() >= kMaxPooled) pool.erase(pool.begin());
  pool.push_back(std::move(b));
}

}  // namespace

void Volume::Free::operator()(float* p) const noexcept { std::free(p); }  // malloc or aligned_alloc

Volume::Volume(Extent n) : n_(n), buf_(take(static_cast<std::size_t>(n.size()))) {}
Volume::Volume(Volume&& o) noexcept : n_(o.n_), buf_(std::move(o.buf_)) { o.n_ = {}; }
Volume& Volume::operator=(Volume&& o) noexcept {
  if (this != &o) {
    give(std::move(buf_));
    n_ = o.n_;
    buf_ = std::move(o.buf_);
    o.n_ = {};
  }
  return *this;
}
Volume::~Volume() { give(std::move(buf_)); }

ConstView crop(const ConstView& v, Extent o, Extent n) {
  return {v.data + o.z * v.sz + o.y * v.sy + o.x, n, v.sz, v.sy};
}
View crop(const View& v, Extent o, Extent n) { return {v.data + o.z * v.sz + o.y * v.sy + o.x, n, v.sz, v.sy}; }

}  // namespace ilpkit::features
