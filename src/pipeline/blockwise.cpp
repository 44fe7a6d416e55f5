// SPDX-License-Identifier: MIT
#include <algorithm>
#include <mutex>

#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "ilpkit/parallel.hpp"
#include "ilpkit/pipeline.hpp"

namespace ilpkit {

std::array<std::int64_t, 3> default_block_shape(const ImageGeometry& image, const std::array<std::int64_t, 3>& halo,
                                                std::size_t output_channels) {
  if (image.z == 1) {
    // 2-D scales stream along y with rows of the block's width: rows up to 1024 wide stay in
    // cache; 256 rows keep the presmoothing halo (up to 38 rows per side) a modest fraction and
    // give the threads several blocks.
    return {1, std::min<std::int64_t>(image.y, 256), std::min<std::int64_t>(image.x, 1024)};
  }
  // 3-D: large blocks, because the presmoothing halo is recomputed per block; the feature stage
  // tiles blocks internally, so memory is the limit: about 16 M voxels of filter state when
  // features are written in place. When the caller takes blocks (exports), up to 2 blocks per
  // thread are in flight, each with its whole feature stack: about 24 MB of features per block
  // keeps a 2-thread export near 200 MB, and the extra blocks keep both threads busy (c05 on
  // 128x256x256: 64x64x128 blocks 1.2 s / 200 MB against one 128x256x256 block 1.8 s / 730 MB).
  std::int64_t budget = std::int64_t{16} << 20;
  if (output_channels > 0)
    budget = std::clamp<std::int64_t>((std::int64_t{24} << 20) / static_cast<std::int64_t>(4 * (output_channels + 1)),
                                      std::int64_t{256} << 10, budget);
  std::array<std::int64_t, 3> shape{image.z, image.y, image.x};
  // Halve the axis that is longest relative to its halo until the block fits.
  while (shape[0] * shape[1] * shape[2] > budget) {
    std::size_t axis = 0;
    double best = -1;
    for (std::size_t a = 0; a < 3; ++a) {
      if (shape[a] <= 1) continue;
      const double score = static_cast<double>(shape[a]) / static_cast<double>(std::max<std::int64_t>(halo[a], 1));
      if (score > best) best = score, axis = a;
    }
    if (best < 0) break;
    shape[axis] = (shape[axis] + 1) / 2;
  }
  return shape;
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

// One pool per role, so that each buffer keeps its size (a block's feature stack is far larger
// than its input or output) and is not reallocated and page-faulted in again.
struct BufferPools {
  BufferPool input, features, output, mask;
};

class FeatureBlockWork final : public BlockWork {
 public:
  FeatureBlockWork(const FeatureEngine& engine, const DeriveFn* derive, BufferPools& pools, Box block, std::int64_t t)
      : engine_(engine), derive_(derive), pools_(pools), block_(block), t_(t), input(pools.input.take()),
        features(pools.features.take()), output(pools.output.take()) {}
  ~FeatureBlockWork() override {
    pools_.input.give(std::move(input));
    pools_.features.give(std::move(features));
    pools_.output.give(std::move(output));
    if (has_mask) pools_.mask.give(std::move(mask));
  }
  void compute() override {
    const bool masked_out = has_mask && std::all_of(mask.data.begin(), mask.data.end(), [](float v) { return v == 0; });
    if (masked_out)
      features.reset(block_, 0);  // ilastik does not compute blocks its mask hides
    else
      engine_.compute(input, block_, features);
    if (*derive_)
      (*derive_)(features, has_mask ? &mask : nullptr, output);
    else
      std::swap(features, output);
  }
  std::int64_t t() const { return t_; }

 private:
  const FeatureEngine& engine_;
  const DeriveFn* derive_;
  BufferPools& pools_;
  Box block_;
  std::int64_t t_;

 public:
  PlanarBlock input, features, output, mask;
  bool has_mask = false;
};

}  // namespace

std::array<std::int64_t, 3> export_block_shape(const FeatureEngine& engine, const BlockwiseOptions& options) {
  auto shape = options.block_shape;
  const auto def = default_block_shape(engine.image(), engine.halo(), engine.channels().size());
  for (std::size_t a = 0; a < 3; ++a)
    if (shape[a] <= 0) shape[a] = def[a];
  return shape;
}

void compute_features_blockwise(const ImageSource& source, const FeatureEngine& engine,
                                const BlockwiseOptions& options,
                                const std::function<void(std::int64_t, const PlanarBlock&)>& sink) {
  compute_derived_blockwise(source, engine, options, DeriveFn(), sink);
}

void compute_derived_blockwise(const ImageSource& source, const FeatureEngine& engine, const BlockwiseOptions& options,
                               const DeriveFn& derive,
                               const std::function<void(std::int64_t, const PlanarBlock&)>& sink) {
  const ImageGeometry g = source.info().geometry();
  const ImageGeometry& e = engine.image();
  if (g.channels != e.channels || g.z != e.z || g.y != e.y || g.x != e.x)
    throw Error(ErrorKind::Internal, "feature engine built for another image geometry");
  const auto shape = export_block_shape(engine, options);
  const Box region = options.region ? *options.region : engine.image_box();
  const auto blocks = block_grid(region, shape);
  const std::int64_t t0 = options.t_begin, t1 = options.t_end < 0 ? source.info().extent('t') : options.t_end;
  const std::size_t total = blocks.size() * static_cast<std::size_t>(t1 - t0);
  const ImageSource* mask = derive ? options.mask : nullptr;

  BufferPools pools;
  with_thread_limit(options.threads, [&] {
    BlockPipeline p;
    p.blocks = total;
    p.read = [&](std::size_t i) {
      const std::int64_t t = t0 + static_cast<std::int64_t>(i / blocks.size());
      const Box& block = blocks[i % blocks.size()];
      auto work = std::make_unique<FeatureBlockWork>(engine, &derive, pools, block, t);
      if (mask) {
        work->mask = pools.mask.take();
        work->has_mask = true;
        mask->read(t, block, work->mask);
      }
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

namespace {

class DirectWork final : public BlockWork {
 public:
  DirectWork(const FeatureEngine& engine, const Box& block, const FeatureOutput& whole)
      : engine_(engine), block_(block), whole_(whole) {}
  void compute() override {
    FeatureOutput out = whole_;
    out.data += block_.begin[0] * whole_.z_stride + block_.begin[1] * whole_.y_stride + block_.begin[2];
    engine_.compute(input, block_, out);
  }
  PlanarBlock input;

 private:
  const FeatureEngine& engine_;
  Box block_;
  FeatureOutput whole_;
};

}  // namespace

void compute_features_into(const ImageSource& source, const FeatureEngine& engine, const BlockwiseOptions& options,
                           std::int64_t t, const FeatureOutput& out) {
  const ImageGeometry g = source.info().geometry();
  auto shape = options.block_shape;
  const auto def = default_block_shape(g, engine.halo());
  for (std::size_t a = 0; a < 3; ++a)
    if (shape[a] <= 0) shape[a] = def[a];
  const auto blocks = block_grid(engine.image_box(), shape);
  with_thread_limit(options.threads, [&] {
    BlockPipeline p;
    p.blocks = blocks.size();
    p.read = [&](std::size_t i) {
      auto work = std::make_unique<DirectWork>(engine, blocks[i], out);
      source.read(t, engine.input_box(blocks[i]), work->input);
      return work;
    };
    p.write = [&](BlockWork&, std::size_t i) {
      if (options.progress) options.progress(i + 1, blocks.size());
    };
    run_blockwise(p);
  });
}

}  // namespace ilpkit
