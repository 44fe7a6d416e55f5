// SPDX-License-Identifier: MIT
// Forest prediction benchmark (issue 4): 100 trees trained by VIGRA on ~10k labelled pixels with
// ilastik's 49 default 2-D features and 3 classes, predicting all 2048x2048 pixels of the
// synthetic image from an in-memory feature stack.
//   ilpkit_forest_bench --threads N [--repeat R] [--noise F]
// --noise F gives that share of the training labels a neighbouring class, as sloppy strokes do;
// the trees then grow (F = 0: ~42 nodes per tree; 0.0001: ~76; 0.001: ~260; 0.003: ~520).
#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include <vigra/multi_array.hxx>
#include <vigra/random_forest.hxx>

#include "ilpkit/parallel.hpp"
#include "ilpkit/pipeline.hpp"
#include "ilpkit/predict.hpp"
#include "synthetic.hpp"

using namespace ilpkit;

namespace {

// VIGRA's forest in the form ilastik stores it (one ClassifierForests/ForestNNNN).
Forest from_vigra(const vigra::RandomForest<std::uint32_t>& rf) {
  Forest f;
  f.name = "Forest0000";
  f.column_count = rf.column_count();
  f.class_count = rf.class_count();
  for (int i = 0; i < rf.tree_count(); ++i) {
    Tree t;
    t.name = "Tree_" + std::to_string(i);
    t.topology.assign(rf.tree(i).topology_.begin(), rf.tree(i).topology_.end());
    t.parameters.assign(rf.tree(i).parameters_.begin(), rf.tree(i).parameters_.end());
    f.trees.push_back(std::move(t));
  }
  for (int k = 0; k < rf.class_count(); ++k) f.labels.push_back(rf.ext_param().classes[k]);
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, repeat = 3;
  double flip_rate = 0.0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--threads") threads = std::atoi(argv[i + 1]);
    if (a == "--repeat") repeat = std::atoi(argv[i + 1]);
    if (a == "--noise") flip_rate = std::atof(argv[i + 1]);
  }
  bench::VolumeSource src(1, 2048, 2048);
  FeatureEngine engine(bench::default_set(false), src.info().geometry());
  const Box box = engine.image_box();
  const std::int64_t n = box.volume();
  const std::size_t F = engine.channels().size();
  std::vector<float> stack(static_cast<std::size_t>(n) * F);
  compute_features_into(src, engine, {}, 0, FeatureOutput::planar(stack.data(), box));

  // ~10k labelled pixels, 3 classes from the image itself: background, blob interiors, blob
  // rims (gradient magnitude at σ = 1.0 is channel 7 + 1 of the GGM row; use raw intensity and GGM).
  PlanarBlock raw;
  src.read(0, box, raw);
  const float* ggm = stack.data() + static_cast<std::size_t>(n) * 14;  // Gaussian Gradient Magnitude (σ=0.7)
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::int64_t> pick(0, n - 1);
  std::uniform_real_distribution<double> flip(0, 1);
  std::vector<std::int64_t> idx;
  std::vector<std::uint32_t> lab;
  std::int64_t per_class[3] = {0, 0, 0};
  while (idx.size() < 10000) {
    const std::int64_t i = pick(rng);
    const float v = raw.data[static_cast<std::size_t>(i)], g = ggm[i];
    int c = g > 25 ? 3 : v > 110 ? 2 : v < 70 ? 1 : 0;
    // Brush strokes are never clean: a share of pixels carries a neighbouring class, and the
    // trees grow deep paths to isolate them, which most pixels then walk.
    if (c != 0 && flip(rng) < flip_rate) c = 1 + (c % 3);
    if (c == 0 || per_class[c - 1] >= 3400) continue;
    ++per_class[c - 1];
    idx.push_back(i);
    lab.push_back(static_cast<std::uint32_t>(c));
  }
  vigra::MultiArray<2, float> X(vigra::Shape2(static_cast<std::ptrdiff_t>(idx.size()), static_cast<std::ptrdiff_t>(F)));
  vigra::MultiArray<2, std::uint32_t> y(vigra::Shape2(static_cast<std::ptrdiff_t>(idx.size()), 1));
  for (std::size_t s = 0; s < idx.size(); ++s) {
    for (std::size_t f = 0; f < F; ++f)
      X(static_cast<std::ptrdiff_t>(s), static_cast<std::ptrdiff_t>(f)) = stack[f * static_cast<std::size_t>(n) + static_cast<std::size_t>(idx[s])];
    y(static_cast<std::ptrdiff_t>(s), 0) = lab[s];
  }
  vigra::RandomForest<std::uint32_t> rf(vigra::RandomForestOptions().tree_count(100));
  const auto t_train = std::chrono::steady_clock::now();
  rf.learn(X, y, vigra::rf_default(), vigra::rf_default(), vigra::rf_default(), vigra::RandomNumberGenerator<>(42));
  const double train_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_train).count();
  Classifier c;
  c.forests.push_back(from_vigra(rf));
  c.known_labels = {1, 2, 3};
  std::size_t nodes = 0;
  for (const auto& t : c.forests.front().trees) nodes += t.node_count();

  Predictor predictor(c, 3);
  std::vector<float> out(static_cast<std::size_t>(n) * 3);
  double best = 1e30, first = 0;
  for (int r = 0; r < repeat; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    with_thread_limit(threads, [&] {
      constexpr std::int64_t kChunk = 8192;
      parallel_for(static_cast<std::size_t>((n + kChunk - 1) / kChunk), [&](std::size_t k) {
        const std::int64_t i0 = static_cast<std::int64_t>(k) * kChunk, len = std::min(kChunk, n - i0);
        predictor.predict(stack.data() + i0, n, len, out.data() + i0, n);
      });
    });
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (r == 0) first = took;
    best = std::min(best, took);
  }
  // The pipeline `ilpkit run` uses (features per block, then the forest on the block in the
  // parallel stage, no whole-image stack), against the features alone: the difference is what
  // prediction adds end to end.
  const auto blockwise = [&](bool predict) {
    BlockwiseOptions options;
    options.threads = threads;
    const auto t0 = std::chrono::steady_clock::now();
    float checksum = 0;
    if (predict) {
      compute_derived_blockwise(
          src, engine, options,
          [&](const PlanarBlock& features, const PlanarBlock*, PlanarBlock& probabilities) {
            const std::int64_t m = features.plane_size();
            probabilities.reset(features.box, 3);
            constexpr std::int64_t kChunk = 8192;
            parallel_for(static_cast<std::size_t>((m + kChunk - 1) / kChunk), [&](std::size_t k) {
              const std::int64_t i0 = static_cast<std::int64_t>(k) * kChunk, len = std::min(kChunk, m - i0);
              predictor.predict(features.data.data() + i0, m, len, probabilities.data.data() + i0, m);
            });
          },
          [&](std::int64_t, const PlanarBlock& b) { checksum += b.data[0]; });
    } else {
      compute_features_blockwise(src, engine, options, [&](std::int64_t, const PlanarBlock& b) { checksum += b.data[0]; });
    }
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() + 0 * checksum;
  };
  double features_only = 1e30, pipeline = 1e30;
  for (int r = 0; r < repeat; ++r) {
    features_only = std::min(features_only, blockwise(false));
    pipeline = std::min(pipeline, blockwise(true));
  }
  // VIGRA's own predictProbabilities on the first 262,144 pixels, single-threaded, for scale.
  const std::ptrdiff_t m = 1 << 18;
  vigra::MultiArray<2, float> Xp(vigra::Shape2(m, static_cast<std::ptrdiff_t>(F)));
  for (std::ptrdiff_t i = 0; i < m; ++i)
    for (std::size_t f = 0; f < F; ++f) Xp(i, static_cast<std::ptrdiff_t>(f)) = stack[f * static_cast<std::size_t>(n) + static_cast<std::size_t>(i)];
  vigra::MultiArray<2, float> P(vigra::Shape2(m, 3));
  const auto t_vigra = std::chrono::steady_clock::now();
  rf.predictProbabilities(Xp, P);
  const double vigra_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_vigra).count();
  std::printf("forest: 100 trees (%zu nodes, VIGRA training on %zu samples x %zu features, 3 classes: %.2f s); "
              "predicting 2048x2048 px, %d thread(s): %.3f s best of %d (first %.3f s), %.2f Mpx/s; VIGRA "
              "predictProbabilities on the same forest, 1 thread: %.2f Mpx/s\n"
              "  blockwise pipeline, %d thread(s): features alone %.3f s, features + forest %.3f s (%.2f Mpx/s)\n",
              nodes, idx.size(), F, train_s, threads, best, repeat, first, static_cast<double>(n) / best / 1e6,
              static_cast<double>(m) / vigra_s / 1e6, threads, features_only, pipeline,
              static_cast<double>(n) / pipeline / 1e6);
  return 0;
}
