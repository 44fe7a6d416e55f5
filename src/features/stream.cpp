// SPDX-License-Identifier: MIT
#include "stream.hpp"

#include <algorithm>

#include "convolve.hpp"
#include "rows.hpp"
#include "ilpkit/error.hpp"

namespace ilpkit::features {

namespace {

// Lead and lag between consumers of one node within one output slice: the structure tensor's
// gradient-then-average chain reads presmoothed slices from s-2 to s+3 around output slice s
// (6 slices; 6 is the least that passes the tests, one more for margin). A wrong window can
// not give wrong values: get() refuses an evicted slice with an internal error.
constexpr std::int64_t kSlack = 7;

ConstView contiguous(const float* data, const Extent& shape) { return {data, shape, shape.y * shape.x, shape.x}; }

RowPlacement shifted(RowPlacement at, std::int64_t dx) {
  at.origin += dx;
  return at;
}

class SourceNode final : public SliceNode {
 public:
  SourceNode(const ConstView& v, bool three_d, const RowPlacement& at)
      : SliceNode(three_d ? Extent{1, v.n.y, v.n.x} : Extent{1, 1, v.n.x}, three_d ? v.n.z : v.n.y, at),
        view_(v),
        three_d_(three_d) {}
  ConstView get(std::int64_t s) override {
    if (three_d_) return {view_.row(s, 0), shape(), view_.sz, view_.sy};
    return {view_.row(0, s), shape(), 0, view_.n.x};
  }

 protected:
  void make(std::int64_t, float*) override {}

 private:
  ConstView view_;
  bool three_d_;
};

// Filters within each slice along x or y (planes only), keeping outputs [first, first + n) along
// that axis.
class InSliceNode final : public SliceNode {
 public:
  InSliceNode(SliceNode* in, Axis axis, const Kernel* k, Extent first, Extent n)
      : SliceNode(n, in->count(), shifted(in->placement(), axis == Axis::x ? first.x : 0)),
        in_(in),
        axis_(axis),
        k_(k),
        first_(first) {}

  void propagate_rows() override {
    if (rows_hi() <= rows_lo()) return;
    if (axis_ == Axis::x) {
      in_->need_rows(rows_lo() + first_.y, rows_hi() + first_.y);
    } else {
      // Every input row the kernel reaches, after reflection at the input's ends.
      const int r = k_->copy ? 0 : k_->radius();
      std::int64_t lo = in_->shape().y, hi = 0;
      for (std::int64_t t = rows_lo() + first_.y - r; t < rows_hi() + first_.y + r; ++t) {
        const std::int64_t m = mirror_index(t, in_->shape().y);
        lo = std::min(lo, m);
        hi = std::max(hi, m + 1);
      }
      in_->need_rows(lo, hi);
    }
  }

 protected:
  void make(std::int64_t s, float* out) override {
    const Extent& n = shape();
    const std::int64_t lo = rows_lo(), hi = rows_hi();
    const View dst{out + lo * n.x, Extent{1, hi - lo, n.x}, n.y * n.x, n.x};
    ConstView src = in_->get(s);
    if (axis_ == Axis::x) {
      src = crop(src, Extent{0, lo + first_.y, 0}, Extent{1, hi - lo, src.n.x});
      convolve(src, Axis::x, *k_, first_.x, dst, false, in_->placement());
    } else {
      convolve(src, Axis::y, *k_, first_.y + lo, dst);
    }
  }

 private:
  SliceNode* in_;
  Axis axis_;
  const Kernel* k_;
  Extent first_;
};

// Filters across slices (y for rows, z for planes) with mirror borders at the input's ends.
class StreamNode final : public SliceNode {
 public:
  StreamNode(SliceNode* in, const Kernel* k, std::int64_t first, std::int64_t count)
      : SliceNode(in->shape(), count, in->placement()), in_(in), k_(k), first_(first) {
    in_->need_radius(k->copy ? 0 : k->radius());
  }
  void propagate_rows() override {
    if (rows_hi() > rows_lo()) in_->need_rows(rows_lo(), rows_hi());
  }

 protected:
  void make(std::int64_t s, float* out) override {
    const int r = k_->copy ? 0 : k_->radius();
    const std::int64_t len = in_->count();
    thread_local std::vector<const float*> taps;
    taps.resize(static_cast<std::size_t>(2 * r + 1));
    // Highest slice first, so computing it cannot evict one already taken.
    std::int64_t hi = 0;
    for (int t = -r; t <= r; ++t) hi = std::max(hi, mirror_index(s + first_ + t, len));
    in_->get(hi);
    // Only the rows consumers read: an offset span of the contiguous slices.
    const std::int64_t offset = rows_lo() * shape().x;
    for (int t = -r; t <= r; ++t)
      taps[static_cast<std::size_t>(t + r)] = in_->get(mirror_index(s + first_ + t, len)).data + offset;
    combine(taps.data(), (rows_hi() - rows_lo()) * shape().x, *k_, out + offset);
  }

 private:
  SliceNode* in_;
  const Kernel* k_;
  std::int64_t first_;
};

class ProductNode final : public SliceNode {
 public:
  ProductNode(SliceNode* a, SliceNode* b) : SliceNode(a->shape(), a->count(), a->placement()), a_(a), b_(b) {}
  void propagate_rows() override {
    if (rows_hi() <= rows_lo()) return;
    a_->need_rows(rows_lo(), rows_hi());
    b_->need_rows(rows_lo(), rows_hi());
  }

 protected:
  void make(std::int64_t s, float* out) override {
    const std::int64_t offset = rows_lo() * shape().x;
    multiply_rows(a_->get(s).data + offset, b_->get(s).data + offset, (rows_hi() - rows_lo()) * shape().x,
                  out + offset);
  }

 private:
  SliceNode* a_;
  SliceNode* b_;
};

}  // namespace

void SliceNode::need_rows(std::int64_t lo, std::int64_t hi) {
  if (hi <= lo) return;
  if (rows_hi_ <= rows_lo_) {
    rows_lo_ = lo;
    rows_hi_ = hi;
  } else {
    rows_lo_ = std::min(rows_lo_, lo);
    rows_hi_ = std::max(rows_hi_, hi);
  }
}

void SliceGraph::finalize() {
  // Nodes are created after their inputs, so walking backwards reaches every consumer first.
  for (auto it = nodes_.rbegin(); it != nodes_.rend(); ++it) (*it)->propagate_rows();
}

ConstView SliceNode::get(std::int64_t s) {
  if (window_ == 0) {
    window_ = std::min<std::int64_t>(count_, 2 * radius_need_ + 1 + kSlack);
    ring_ = Volume(Extent{1, window_, shape_.size()});
    tag_.assign(static_cast<std::size_t>(window_), -1);
  }
  if (s < 0 || s >= count_) throw Error(ErrorKind::Internal, "slice index outside the node");
  while (computed_ < s) {
    ++computed_;
    const auto slot = static_cast<std::size_t>(computed_ % window_);
    make(computed_, ring_.data() + slot * static_cast<std::size_t>(shape_.size()));
    tag_[slot] = computed_;
  }
  const auto slot = static_cast<std::size_t>(s % window_);
  if (tag_[slot] != s) throw Error(ErrorKind::Internal, "slice evicted before use (ring window too small)");
  return contiguous(ring_.data() + slot * static_cast<std::size_t>(shape_.size()), shape_);
}

SliceGraph::SliceGraph(const ConstView& source, bool three_d, const Extent& frame_offset, const Extent& frame,
                       const RowPlacement& at)
    : three_d_(three_d), frame_offset_(frame_offset), frame_(frame) {
  nodes_.push_back(std::make_unique<SourceNode>(source, three_d, at));
  source_ = nodes_.back().get();
}

SliceNode* SliceGraph::in_slice(SliceNode* in, Axis axis, const Kernel* k, Extent first, Extent count) {
  auto key = std::make_tuple(in, axis, k);
  auto it = in_slice_cache_.find(key);
  if (it != in_slice_cache_.end()) return it->second;
  nodes_.push_back(std::make_unique<InSliceNode>(in, axis, k, first, count));
  return in_slice_cache_[key] = nodes_.back().get();
}

SliceNode* SliceGraph::stream(SliceNode* in, const Kernel* k, std::int64_t first, std::int64_t count) {
  auto key = std::make_pair(in, k);
  auto it = stream_cache_.find(key);
  if (it != stream_cache_.end()) return it->second;
  nodes_.push_back(std::make_unique<StreamNode>(in, k, first, count));
  return stream_cache_[key] = nodes_.back().get();
}

SliceNode* SliceGraph::presmoothed(const Kernel& pre) {
  // Slices are rows (2-D: extent x) or planes (3-D: y × x) of the filter frame.
  const Extent slice = three_d_ ? Extent{1, frame_.y, frame_.x} : Extent{1, 1, frame_.x};
  const Extent first = three_d_ ? Extent{0, frame_offset_.y, frame_offset_.x} : Extent{0, 0, frame_offset_.x};
  SliceNode* a = in_slice(source_, Axis::x, &pre, first, Extent{1, source_->shape().y, slice.x});
  if (three_d_) a = in_slice(a, Axis::y, &pre, first, slice);
  return stream(a, &pre, three_d_ ? frame_offset_.z : frame_offset_.y, three_d_ ? frame_.z : frame_.y);
}

SliceNode* SliceGraph::separable(SliceNode* in, const Kernel& kx, const Kernel& ky, const Kernel& kz) {
  // x passes are shared by every filter with the same x kernel, and so on.
  const Extent& slice = in->shape();
  SliceNode* x = in_slice(in, Axis::x, &kx, Extent{0, 0, 0}, slice);
  if (three_d_) return stream(in_slice(x, Axis::y, &ky, Extent{0, 0, 0}, slice), &kz, 0, in->count());
  return stream(x, &ky, 0, in->count());
}

SliceNode* SliceGraph::product(SliceNode* a, SliceNode* b) {
  auto key = std::make_pair(a, b);
  auto it = product_cache_.find(key);
  if (it != product_cache_.end()) return it->second;
  nodes_.push_back(std::make_unique<ProductNode>(a, b));
  return product_cache_[key] = nodes_.back().get();
}

}  // namespace ilpkit::features
