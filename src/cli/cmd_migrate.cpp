// SPDX-License-Identifier: MIT
// `ilpkit migrate`: older projects to the layout ilastik 1.4.2 reads without guessing (surgery.md §1.4).
#include <memory>

#include "commands.hpp"
#include "ilpkit/surgery.hpp"

namespace ilpkit::cli {

namespace {

struct MigrateArgs {
  std::string project;
  MigrateOptions options;
  SaveOptions save;
};

}  // namespace

void register_migrate(CLI::App& app) {
  auto a = std::make_shared<MigrateArgs>();
  auto* cmd = app.add_subcommand(
      "migrate",
      "Bring a 0.6, 1.0-1.3.x or 1.3.3post2-1.4.0b7 project to the >= 1.4.0b8 layout: label blocks rewritten in the "
      "order ilastik 1.4.2 reads (from the true labels, so files that 1.4.2 would misread come out right), dataset "
      "infos completed, a factory 1.4.2 can read, version 1.4.2. Autocontext and Object Classification (from pixel "
      "classification) projects are migrated in their Pixel Classification stages. The forests are kept byte for byte; "
      "labels and forests are compared on the new file before it replaces anything.");
  cmd->add_option("project", a->project, "The .ilp project file")->required();
  cmd->add_option("--target", a->options.target,
                  "1.4 (the >= 1.4.0b8 layout) or bilingual (blocks in the data's original order, version 1.3.3post3: "
                  "read alike by ilastik 1.3.3post3, as steinbock runs it, and by 1.4.x)")
      ->capture_default_str();
  cmd->add_flag("--infer-shape", a->options.infer_shape,
                "For lanes whose data is missing and that store no shape, store the lower bound the labels give");
  cmd->add_flag("--drop-legacy", a->options.drop_legacy, "Also remove legacy groups (BatchDataSelection, ...)");
  add_edit_options(cmd, a->save);
  cmd->callback([a] {
    print_edit_report(migrate(a->project, a->options, a->save));
  });
}

}  // namespace ilpkit::cli
