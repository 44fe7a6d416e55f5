// SPDX-License-Identifier: MIT
// Mirrors: lazyflow OpFeatureMatrixCache / OpConcatenateFeatureMatrices (every labelled pixel of
// every lane and time point is a sample; features at that pixel).
#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/parallel.hpp"
#include "ilpkit/pipeline.hpp"

namespace ilpkit {

namespace {

// The dense labels of one lane, addressed by (t, z, y, x).
struct LabelIndex {
  const LabelVolume& v;
  std::int64_t st = 0, sz = 0, sy = 0, sx = 0;
  std::int64_t extent(char a) const {
    auto p = v.axes.find(a);
    return p == std::string::npos ? 1 : v.shape[p];
  }
  explicit LabelIndex(const LabelVolume& vol) : v(vol) {
    std::int64_t stride = 1;
    for (std::size_t i = v.axes.size(); i-- > 0;) {
      switch (v.axes[i]) {
        case 't': st = stride; break;
        case 'z': sz = stride; break;
        case 'y': sy = stride; break;
        case 'x': sx = stride; break;
        default: break;
      }
      stride *= v.shape[i];
    }
  }
  std::uint8_t at(std::int64_t t, std::int64_t z, std::int64_t y, std::int64_t x) const {
    return v.data[static_cast<std::size_t>(t * st + z * sz + y * sy + x * sx)];
  }
};

class TileWork final : public BlockWork {
 public:
  TileWork(const FeatureEngine& e, const LabelIndex& l, Box tile, std::int64_t t)
      : engine_(e), labels_(l), tile_(tile), t_(t) {}
  void compute() override {
    engine_.compute(input, tile_, features);
    input = PlanarBlock();
    const std::size_t F = static_cast<std::size_t>(features.channels);
    const std::int64_t plane = features.plane_size();
    std::int64_t i = 0;
    for (std::int64_t z = tile_.begin[0]; z < tile_.end[0]; ++z)
      for (std::int64_t y = tile_.begin[1]; y < tile_.end[1]; ++y)
        for (std::int64_t x = tile_.begin[2]; x < tile_.end[2]; ++x, ++i) {
          const std::uint8_t v = labels_.at(t_, z, y, x);
          if (!v) continue;
          for (std::size_t c = 0; c < F; ++c) rows.push_back(features.data[c * static_cast<std::size_t>(plane) + static_cast<std::size_t>(i)]);
          values.push_back(v);
        }
    features = PlanarBlock();
  }
  PlanarBlock input, features;
  std::vector<float> rows;
  std::vector<std::uint32_t> values;

 private:
  const FeatureEngine& engine_;
  const LabelIndex& labels_;
  Box tile_;
  std::int64_t t_;
};

}  // namespace

TrainingSamples collect_training_samples(const Project& project, const BlockwiseOptions& options) {
  if (!project.features || project.features->selected_count() == 0)
    throw Error(ErrorKind::Usage, "the project selects no features to train on");
  TrainingSamples out;
  for (std::size_t li = 0; li < project.lanes.size(); ++li) {
    if (li >= project.labels.size() || project.labels[li].blocks.empty()) continue;
    const Lane& lane = project.lanes[li];
    with_context(fmt::format("collecting training samples of lane {}", li), [&] {
      if (!lane.raw || !lane.raw->found)
        throw Error(ErrorKind::Usage,
                    fmt::format("the raw data of this labelled lane is not available ({}); training needs it",
                                lane.raw ? (lane.raw->not_found_reason.empty() ? lane.raw->stored_path
                                                                              : lane.raw->not_found_reason)
                                         : "no Raw Data"));
      const LabelVolume labels = decode_labels(project, li);
      const LabelIndex index(labels);
      const DatasetInfo& raw = *lane.raw;
      auto source = open_image(raw.internal_path.empty() ? raw.file_path : raw.file_path + raw.internal_path);
      if (!raw.axes.empty() && raw.axes.size() == source->info().axes.size() && raw.axes != source->info().axes)
        source->set_axes(raw.axes, "project");
      const ImageGeometry g = source->info().geometry();
      if (g.z != index.extent('z') || g.y != index.extent('y') || g.x != index.extent('x') ||
          source->info().extent('t') != index.extent('t'))
        throw Error(ErrorKind::Usage,
                    fmt::format("the raw data ({} {}) does not match the labels ({} {})", source->info().axes,
                                fmt::join(source->info().shape, "×"), labels.axes, fmt::join(labels.shape, "×")));
      FeatureEngine engine(*project.features, g);
      std::vector<std::string> names;
      for (const auto& ch : engine.channels()) names.push_back(ch.name);
      if (out.feature_count == 0) {
        out.feature_count = names.size();
        out.feature_names = names;
      } else if (names != out.feature_names) {
        throw Error(ErrorKind::Usage, "lanes give different feature channels (channel counts differ)");
      }
      // Tiles that hold labels, in (t, z, y, x) order; features only there.
      const std::array<std::int64_t, 3> tile_shape = g.z == 1 ? std::array<std::int64_t, 3>{1, 64, 64}
                                                              : std::array<std::int64_t, 3>{32, 32, 32};
      struct Job {
        std::int64_t t;
        Box tile;
      };
      std::vector<Job> jobs;
      for (std::int64_t t = 0; t < index.extent('t'); ++t)
        for (const Box& tile : block_grid(engine.image_box(), tile_shape)) {
          bool any = false;
          for (std::int64_t z = tile.begin[0]; z < tile.end[0] && !any; ++z)
            for (std::int64_t y = tile.begin[1]; y < tile.end[1] && !any; ++y)
              for (std::int64_t x = tile.begin[2]; x < tile.end[2] && !any; ++x) any = index.at(t, z, y, x) != 0;
          if (any) jobs.push_back({t, tile});
        }
      with_thread_limit(options.threads, [&] {
        BlockPipeline p;
        p.blocks = jobs.size();
        p.read = [&](std::size_t i) {
          auto w = std::make_unique<TileWork>(engine, index, jobs[i].tile, jobs[i].t);
          source->read(jobs[i].t, engine.input_box(jobs[i].tile), w->input);
          return w;
        };
        p.write = [&](BlockWork& bw, std::size_t) {
          auto& w = static_cast<TileWork&>(bw);
          out.features.insert(out.features.end(), w.rows.begin(), w.rows.end());
          out.labels.insert(out.labels.end(), w.values.begin(), w.values.end());
        };
        run_blockwise(p);
      });
    });
  }
  if (out.labels.empty()) throw Error(ErrorKind::Usage, "the project has no labels to train on");
  return out;
}

}  // namespace ilpkit
