// SPDX-License-Identifier: MIT
// `ilpkit labels export|import`: labels to and from images, e.g. to draw them in napari.
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "ilpkit/surgery.hpp"

namespace ilpkit::cli {

namespace {

struct LabelsArgs {
  std::string project, file;
  std::size_t lane = 0;
  SaveOptions save;
};

}  // namespace

void register_labels(CLI::App& app) {
  auto* labels = app.add_subcommand("labels", "Labels to and from images (napari, Fiji, scripts); `ilpkit train` then uses them");
  labels->require_subcommand(1);

  auto e = std::make_shared<LabelsArgs>();
  auto* ex = labels->add_subcommand(
      "export", "Write a lane's labels as a dense uint8 image (0 = unlabelled, k = label k): .h5 (dataset 'labels') or .tif");
  ex->add_option("project", e->project, "The .ilp project file")->required();
  ex->add_option("output", e->file, "The image to write (.h5, .tif or .tiff)")->required();
  ex->add_option("--lane", e->lane, "Lane (0-based)")->capture_default_str();
  ex->callback([e] { std::cout << "ilpkit: wrote " << export_labels(e->project, e->lane, e->file) << '\n'; });

  auto i = std::make_shared<LabelsArgs>();
  auto* im = labels->add_subcommand(
      "import", "Replace a lane's labels by a label image of the lane's size (values 0-255; the stale classifier is removed)");
  im->add_option("project", i->project, "The .ilp project file")->required();
  im->add_option("image", i->file, "The label image (HDF5 file.h5/dataset, TIFF, PNG or .npy)")->required();
  im->add_option("--lane", i->lane, "Lane (0-based)")->capture_default_str();
  add_edit_options(im, i->save);
  im->callback([i] {
    print_edit_report(import_labels(i->project, i->lane, i->file, i->save));
  });
}

}  // namespace ilpkit::cli
