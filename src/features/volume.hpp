// SPDX-License-Identifier: MIT
// Plain float32 volumes and strided views over them (x contiguous), the unit every filter pass
// reads and writes. Internal to the feature engine.
#pragma once

#include <cstdint>
#include <memory>

namespace ilpkit::features {

struct Extent {
  std::int64_t z = 1, y = 1, x = 1;
  std::int64_t size() const { return z * y * x; }
  bool operator==(const Extent& o) const { return z == o.z && y == o.y && x == o.x; }
};

struct ConstView {
  const float* data = nullptr;
  Extent n;
  std::int64_t sz = 0, sy = 0;  ///< strides in floats; x stride is 1
  const float* row(std::int64_t z, std::int64_t y) const { return data + z * sz + y * sy; }
};

struct View {
  float* data = nullptr;
  Extent n;
  std::int64_t sz = 0, sy = 0;
  float* row(std::int64_t z, std::int64_t y) const { return data + z * sz + y * sy; }
  operator ConstView() const { return {data, n, sz, sy}; }
};

/// A contiguous volume. Storage comes from the calling thread's scratch pool so the hot loop does
/// not fault in fresh pages for every block.
class Volume {
 public:
  Volume() = default;
  explicit Volume(Extent n);
  Volume(Volume&&) noexcept;
  Volume& operator=(Volume&&) noexcept;
  Volume(const Volume&) = delete;
  Volume& operator=(const Volume&) = delete;
  ~Volume();

  const Extent& extent() const { return n_; }
  float* data() { return buf_.data.get(); }
  const float* data() const { return buf_.data.get(); }
  View view() { return {data(), n_, n_.y * n_.x, n_.x}; }
  ConstView view() const { return {data(), n_, n_.y * n_.x, n_.x}; }

  /// Uninitialized storage (filters overwrite every element).
  struct Free {
    void operator()(float* p) const noexcept;
  };
  struct Buffer {
    std::unique_ptr<float, Free> data;
    std::size_t capacity = 0;
  };
  operator ConstView() const { return view(); }

 private:
  Extent n_;
  Buffer buf_;
};

/// A sub-box of a view: offsets and extents in the view's coordinates.
ConstView crop(const ConstView& v, Extent offset, Extent n);
View crop(const View& v, Extent offset, Extent n);

}  // namespace ilpkit::features
