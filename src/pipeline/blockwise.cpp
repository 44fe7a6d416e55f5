// SPDX-License-Identifier: MIT
#include <algorithm>
#include <mutex>

#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "ilpkit/parallel.hpp"
#include "ilpkit/pipeline.hpp"

namespace ilpkit {

std::vector<Box> block_grid(const Box& image, const std::array<std::int64_t, 3>& shape) {
  std::vector<Box> out;
  for (std::size_t a = 0; a < 3; ++a)
    if (shape[a] <= 0) throw Error(ErrorKind::Usage, "block shape must be positive");
  for (std::int64_t z = image.begin[0]; z < image.end[0]; z += shape[0])
    for (std::int64_t y = image.begin[1]; y < image.end[1]; y += shape[1])
      for (std::int64_t x = image.begin[2]; x < image.end[2]; x += shape[2]) {
        Box b;
        b.begin = {z, y, x};
        b.end = {std::min(z + shape[0], image.end[0]), std::min(y + shape[1], image.end[1]),
                 std::min(x + shape[2], image.end[2])};
        out.push_back(b);
      }
  return out;
}

std::array<std::int64_t, 3> default_block_shape(const ImageGeometry& image, const std::array<std::int64_t, 3>& halo) {
  // About 1 M voxels per block and channel, with extents of at least 4× the halo where the
  // image allows, so recomputed halo voxels stay a small fraction.
  if (image.z == 1) {
    const std::int64_t side = std::max<std::int64_t>(1024, 8 * halo[1]);
    return {1, std::min(image.y, side), std::min(image.x, side)};
  }
  const std::int64_t side = std::max<std::int64_t>(128, 4 * std::max(halo[1], halo[0]));
  return {std::min(image.z, halo[0] == 0 ? std::int64_t{16} : side), std::min(image.y, 2 * side),
          std::min(image.x, 2 * side)};
}

namespace {

// Finished blocks' buffers go back here and are reused by the next blocks: fresh allocations of
// this size would be page-faulted in (and zeroed) for every block.
class BufferPool {
 public:
  PlanarBlock take() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.empty()) return {};
    PlanarBlock b = std::move(free_.back());
    free_.pop_back();
    return b;
  }
  void give(PlanarBlock&& b) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(b));
  }

 private:
  std::mutex mutex_;
  std::vector<PlanarBlock> free_;
};

class FeatureBlockWork final : public BlockWork {
 public:
  FeatureBlockWork(const FeatureEngine& engine, BufferPool& pool, Box block, std::int64_t t)
      : engine_(engine), pool_(pool), block_(block), t_(t), input(pool.take()), output(pool.take()) {}
  ~FeatureBlockWork() override {
    pool_.give(std::move(input));
    pool_.give(std::move(output));
  }
  void compute() override { engine_.compute(input, block_, output); }
  std::int64_t t() const { return t_; }

 private:
  const FeatureEngine& engine_;
  BufferPool& pool_;
  Box block_;
  std::int64_t t_;

 public:
  PlanarBlock input, output;
};

}  // namespace

void compute_features_blockwise(const ImageSource& source, const FeatureEngine& engine,
                                const BlockwiseOptions& options,
                                const std::function<void(std::int64_t, const PlanarBlock&)>& sink) {
  const ImageGeometry g = source.info().geometry();
  const ImageGeometry& e = engine.image();
  if (g.channels != e.channels || g.z != e.z || g.y != e.y || g.x != e.x)
    throw Error(ErrorKind::Internal, "feature engine built for another image geometry");
  auto shape = options.block_shape;
  const auto def = default_block_shape(g, engine.halo());
  for (std::size_t a = 0; a < 3; ++a)
    if (shape[a] <= 0) shape[a] = def[a];
  const auto blocks = block_grid(engine.image_box(), shape);
  const std::int64_t times = source.info().extent('t');
  const std::size_t total = blocks.size() * static_cast<std::size_t>(times);

  BufferPool pool;
  with_thread_limit(options.threads, [&] {
    BlockPipeline p;
    p.blocks = total;
    p.read = [&](std::size_t i) {
      const std::int64_t t = static_cast<std::int64_t>(i / blocks.size());
      const Box& block = blocks[i % blocks.size()];
      auto work = std::make_unique<FeatureBlockWork>(engine, pool, block, t);
      source.read(t, engine.input_box(block), work->input);
      return work;
    };
    p.write = [&](BlockWork& w, std::size_t i) {
      auto& work = static_cast<FeatureBlockWork&>(w);
      sink(work.t(), work.output);
      if (options.progress) options.progress(i + 1, total);
    };
    run_blockwise(p);
  });
}

}  // namespace ilpkit
