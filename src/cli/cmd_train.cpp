// SPDX-License-Identifier: MIT
// `ilpkit train PROJECT.ilp [-o OUT.ilp] [--seed N] [--trees N] [--forests F]`: retrains the
// classifier from the project's labels and stores it as ilastik 1.4 does, so ilastik uses the
// stored forests without retraining. Only the classifier (and, if its settings change, the
// factory) is replaced; the file is written under a temporary name and renamed when complete.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "commands.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/pipeline.hpp"
#include "ilpkit/train.hpp"

namespace ilpkit::cli {

namespace {

struct TrainCliOptions {
  std::string project;
  std::string output;
  std::uint64_t seed = 0;
  int trees = 0;
  int forests = 0;
  int threads = 0;
  bool quiet = false;
};

void train(const TrainCliOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  Project project = read_project(o.project);
  BlockwiseOptions bo;
  bo.threads = o.threads;
  const TrainingSamples samples = collect_training_samples(project, bo);

  ClassifierFactory factory = project.factory;
  const bool factory_changes = (o.trees > 0 && o.trees != factory.num_trees) ||
                               (o.forests > 0 && o.forests != factory.num_forests) || !factory.stored ||
                               factory.is_default;
  if (o.trees > 0) factory.num_trees = o.trees;
  if (o.forests > 0) factory.num_forests = o.forests;
  TrainOptions to;
  to.trees = factory.num_trees;
  to.forests = factory.num_forests;
  to.seed = o.seed;
  to.threads = o.threads;
  const Classifier classifier = train_classifier(samples, to);
  if (factory.num_forests == 0) factory.num_forests = static_cast<int>(classifier.forests.size());

  Diagnostics diagnostics;
  IlpTree tree = load_tree(o.project, ReadOptions{}, diagnostics);
  store_classifier(tree, classifier, factory_changes ? &factory : nullptr);
  const std::string out = o.output.empty() ? o.project : o.output;
  write_tree(tree, out);
  // Relative data paths are resolved against the project's folder: a copy elsewhere loses them
  // (`ilpkit relink` will rewrite them; until then, say so).
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool moved = fs::weakly_canonical(fs::absolute(out).parent_path(), ec) !=
                     fs::weakly_canonical(fs::absolute(o.project).parent_path(), ec);
  bool relative = false;
  for (const auto& lane : project.lanes)
    relative = relative || (lane.raw && lane.raw->location == DataLocation::FileSystem && !lane.raw->stored_path.empty() &&
                            !fs::path(lane.raw->stored_path).is_absolute());
  if (moved && relative && !o.quiet)
    std::cerr << fmt::format("ilpkit: note: {} is in another folder than {} and the project refers to its data by "
                             "relative paths; ilastik will not find the data from there (predicting other images "
                             "works)\n",
                             out, o.project);

  // Read back what was written: the stored forests must be the ones just trained.
  const Project check = read_project(out);
  if (!check.classifier || check.classifier->tree_count() != classifier.tree_count() ||
      check.classifier->forests.size() != classifier.forests.size())
    throw Error(ErrorKind::Internal, fmt::format("{}: the written classifier does not read back", out));
  if (!o.quiet)
    std::cerr << fmt::format(
        "ilpkit: trained {} trees in {} forest(s) on {} labelled pixels ({} features, labels {}) in {:.2f} s; wrote {}\n",
        classifier.tree_count(), classifier.forests.size(), samples.size(), samples.feature_count,
        fmt::join(classifier.known_labels, ","),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), out);
}

}  // namespace

void register_train(CLI::App& app) {
  auto opt = std::make_shared<TrainCliOptions>();
  auto* cmd = app.add_subcommand(
      "train",
      "Train the classifier from the project's labels (every labelled pixel, VIGRA random forests with ilastik's\n"
      "options) and store it as ilastik 1.4 does; ilastik then uses it without retraining.");
  cmd->add_option("project", opt->project, "The .ilp project")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", opt->output, "Write to this file instead of replacing the project (atomically)");
  cmd->add_option("--seed", opt->seed, "Seed (default: from the clock, as ilastik); forest f uses seed + f, so a "
                                       "seed gives the same forests for any thread count");
  cmd->add_option("--trees", opt->trees, "Trees in total (default: the project's factory, 100)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--forests", opt->forests, "Forests the trees are split over (default: the factory's, else the "
                                             "thread count, as ilastik)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads", opt->threads, "Worker threads (default: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--quiet,-q", opt->quiet, "No summary line");
  cmd->callback([opt] { train(*opt); });
}

}  // namespace ilpkit::cli
