// SPDX-License-Identifier: MIT
// `ilpkit steinbock-fix`: steinbock's `classify ilastik fix`, done right (surgery.md §2.9).
#include <memory>

#include "commands.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/surgery.hpp"

namespace ilpkit::cli {

namespace {

struct SteinbockFixArgs {
  std::string project;
  std::string ilp;
  SteinbockFixOptions options;
  SaveOptions save;
};

}  // namespace

void register_steinbock_fix(CLI::App& app) {
  auto a = std::make_shared<SteinbockFixArgs>();
  auto* cmd = app.add_subcommand(
      "steinbock-fix",
      "Make a project trained on other crops work with steinbock (what `steinbock classify ilastik fix` attempts): each "
      "lane is matched by file stem to a crop in the crop folder (.h5 or .hdf5), crops become <stem>.h5/crop in c,y,x "
      "float32, the lanes point at them, the labels are rewritten from their true positions in the layout that ilastik "
      "1.3.3post3 (steinbock's) and 1.4.x both read correctly, and the export settings become steinbock's (uint16 TIFF, "
      "yxc, <probab>/{nickname}.tiff). Forests and features are kept. Nothing is written if any crop is missing, "
      "unused or of the wrong size. Originals go to PROJECT.bak and <crops>.bak/.");
  cmd->add_option("project", a->project, "The .ilp project file (default pixel_classifier.ilp, as steinbock)");
  cmd->add_option("--ilp", a->ilp, "The project, as steinbock's option names it");
  cmd->add_option("--crops", a->options.crops, "Crop folder (default: ilastik_crops next to the project)");
  cmd->add_option("--probab", a->options.probabilities,
                  "Probability folder for the export template (default: ilastik_probabilities next to the project)");
  cmd->add_option("--axisorder", a->options.crop_axes,
                  "Axis order of crops that store no axistags, e.g. yxc (default: the order the project stored for the lane)");
  cmd->add_option("--target", a->options.target,
                  "bilingual (blocks c,y,x under version 1.3.3post3: read alike by 1.3.3post3 and 1.4.x) or 1.4 (the >= "
                  "1.4.0b8 layout, which 1.3.3post3 misreads)")
      ->capture_default_str();
  add_edit_options(cmd, a->save);
  cmd->callback([a] {
    if (!a->project.empty() && !a->ilp.empty() && a->project != a->ilp)
      throw Error(ErrorKind::Usage, "give the project once: as the argument or with --ilp");
    const std::string project = !a->project.empty() ? a->project : !a->ilp.empty() ? a->ilp : "pixel_classifier.ilp";
    print_edit_report(steinbock_fix(project, a->options, a->save));
  });
}

}  // namespace ilpkit::cli
