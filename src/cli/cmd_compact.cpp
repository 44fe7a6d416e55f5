// SPDX-License-Identifier: MIT
// `ilpkit strip` and `ilpkit compact`: smaller projects (surgery.md §2.7).
#include <memory>

#include "commands.hpp"
#include "ilpkit/surgery.hpp"

namespace ilpkit::cli {

namespace {

struct CompactArgs {
  std::string project;
  CompactOptions options;
  SaveOptions save;
  bool keep_legacy = false;
};

void add_compact(CLI::App& app, const char* name, const char* help, bool compress) {
  auto a = std::make_shared<CompactArgs>();
  a->options.compress = compress;
  auto* cmd = app.add_subcommand(name, help);
  cmd->add_option("project", a->project, "The .ilp project file")->required();
  cmd->add_flag("--keep-legacy", a->keep_legacy, "Keep legacy groups (BatchDataSelection, Batch Inputs, ProjectMetadata, ...)");
  cmd->add_flag("--drop-forest", a->options.drop_forest, "Also remove the trained classifier (forces retraining)");
  cmd->add_flag("--classifier-only", a->options.classifier_only,
                "Remove label blocks and embedded raw data, keep the classifier: a small project that predicts on "
                "compute nodes but cannot retrain");
  add_edit_options(cmd, a->save);
  cmd->callback([a] {
    a->options.drop_legacy = !a->keep_legacy;
    print_edit_report(compact(a->project, a->options, a->save));
  });
}

}  // namespace

void register_compact(CLI::App& app) {
  add_compact(app, "strip",
              "Drop what ilastik ignores (legacy groups, embedded data no lane uses), normalize empty bookmarks, and "
              "rewrite the file fresh; labels, classifier and settings stay.",
              false);
  add_compact(app, "compact",
              "Like strip, and also compress (gzip level 1) every dataset of 4 KiB or more where that saves a tenth.",
              true);
}

}  // namespace ilpkit::cli
