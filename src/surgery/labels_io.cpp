// SPDX-License-Identifier: MIT
// `ilpkit labels export|import`: a lane's labels as a dense image (for napari, Fiji or scripts)
// and back. Imported labels are tiled into label blocks (bounding boxes of the labelled pixels
// per 64x64 or 32x32x32 tile) in the order the project's ilastik version reads them, and the
// now stale classifier is removed.
#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "ilpkit/axes.hpp"
#include "ilpkit/compat/ilastik_version.hpp"
#include "ilpkit/compat/label_order.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/image.hpp"
#include "ilpkit/surgery.hpp"
#include "names.hpp"
#include "label_blocks.hpp"
#include "save.hpp"

namespace ilpkit {

namespace {

namespace fs = std::filesystem;

const Lane& lane_of(const Project& p, std::size_t lane) {
  if (lane >= p.lanes.size()) throw Error(ErrorKind::Usage, fmt::format("--lane {}: the project has {} lane(s)", lane, p.lanes.size()));
  return p.lanes[lane];
}

// Index of axis `a` in `axes`, or npos.
std::size_t at(const std::string& axes, char a) { return axes.find(a); }

}  // namespace

std::string export_labels(const std::string& project, std::size_t lane, const std::string& output) {
  const Project p = read_project(project);
  lane_of(p, lane);
  const LabelVolume v = decode_labels(p, lane);
  // One time point at a time through the image writers (HDF5: dataset "labels", compressed, as
  // labels are mostly zeros; TIFF for 2-D and 3-D).
  const std::string ext = fs::path(output).extension().string();
  const bool tiff = ext == ".tif" || ext == ".tiff";
  ImageWriterOptions o;
  o.path = output;
  o.internal_path = "labels";
  o.axes = v.axes;
  o.shape = v.shape;
  o.dtype = ValueType::UInt8;
  if (tiff && v.axes != "yxc" && v.axes != "zyxc")
    throw Error(ErrorKind::Usage, fmt::format("labels in axes '{}' do not fit a TIFF; write .h5 instead", v.axes));
  auto writer = open_image_writer(tiff ? (v.axes == "zyxc" ? "multipage tiff" : "tiff") : "compressed hdf5", o);
  const std::int64_t T = at(v.axes, 't') == std::string::npos ? 1 : v.shape[at(v.axes, 't')];
  auto extent = [&](char a) { return at(v.axes, a) == std::string::npos ? std::int64_t{1} : v.shape[at(v.axes, a)]; };
  const std::int64_t Z = extent('z'), Y = extent('y'), X = extent('x');
  for (std::int64_t t = 0; t < T; ++t) {
    PlanarBlock block;
    block.reset(Box{{0, 0, 0}, {Z, Y, X}}, 1);
    // The volume is in internal order with t first (when present) and c last, extent 1.
    const std::size_t per_t = static_cast<std::size_t>(Z * Y * X);
    std::copy_n(v.data.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(t) * per_t), per_t, block.data.begin());
    writer->write(t, block);
  }
  writer->commit();
  return output;
}

EditReport import_labels(const std::string& project, std::size_t lane, const std::string& image, const SaveOptions& save) {
  EditReport report;
  auto [p, tree] = surgery::open_for_edit(project);
  const Lane& l = lane_of(p, lane);
  if (!l.raw || l.internal_axes.empty() || !l.internal_shape)
    throw Error(ErrorKind::Usage, fmt::format("{}: the lane's image shape is unknown (relink its data first)", l.group_name));
  const std::string axes = l.internal_axes;
  Shape shape = *l.internal_shape;
  shape[at(axes, 'c')] = 1;
  // Read the label image; its spatial extents must be the lane's.
  auto src = open_image(image);
  const ImageInfo& info = src->info();
  auto lane_extent = [&](char a) { return at(axes, a) == std::string::npos ? std::int64_t{1} : shape[at(axes, a)]; };
  for (char a : std::string("tzyx"))
    if (info.extent(a) != lane_extent(a))
      throw Error(ErrorKind::Usage, fmt::format("{} has axes '{}' and shape ({}), but lane {} is {} with shape ({}) without "
                                                "channels",
                                                image, info.axes, fmt::join(info.shape, ", "), lane, axes, fmt::join(shape, ", ")));
  if (info.extent('c') != 1)
    throw Error(ErrorKind::Usage, fmt::format("{} has {} channels; a label image has one", image, info.extent('c')));
  const std::int64_t T = lane_extent('t'), Z = lane_extent('z'), Y = lane_extent('y'), X = lane_extent('x');
  std::vector<std::uint8_t> dense(static_cast<std::size_t>(T * Z * Y * X));
  int highest = 0;
  for (std::int64_t t = 0; t < T; ++t) {
    PlanarBlock b;
    src->read(t, Box{{0, 0, 0}, {Z, Y, X}}, b);
    for (std::size_t i = 0; i < b.data.size(); ++i) {
      const float v = b.data[i];
      if (!(v >= 0 && v <= 255 && v == static_cast<float>(static_cast<int>(v))))
        throw Error(ErrorKind::Usage, fmt::format("{}: value {} is not a label (0 = unlabelled, 1..255)", image, v));
      dense[static_cast<std::size_t>(t) * b.data.size() + i] = static_cast<std::uint8_t>(v);
      highest = std::max(highest, static_cast<int>(v));
    }
  }

  // The same labels again: nothing to do (and the classifier stays valid).
  if (lane < p.labels.size() && !p.labels[lane].blocks.empty() && p.labels[lane].order_error.empty() &&
      decode_labels(p, lane).data == dense) {
    report.notes.push_back(fmt::format("lane {} already has exactly these labels; nothing written", lane));
    return report;
  }
  // The order this file's ilastik version reads blocks in; ≥ 1.4.0b8 also tags them.
  const auto version = compat::IlastikVersion::parse(p.ilastik_version);
  const std::string order = compat::label_order_assumed_by_1_4_2(version, p.workflow, {l.raw->axes, axes});
  const std::string group = fmt::format("labels{:03d}", lane);
  const auto [blocks, labelled] = surgery::write_label_blocks(tree, group, dense, axes, shape, order,
                                                              version >= compat::version("1.4.0b8"));
  report.notes.push_back(fmt::format("{}: {} labelled pixel(s) in {} block(s), values up to {}", group, labelled, blocks, highest));

  // Label names for values beyond the stored ones.
  Node& pc = *tree.root->child(names::kPixelClassification);
  std::vector<std::string> names;
  for (const auto& c : p.label_classes) names.push_back(c.name);
  if (static_cast<std::size_t>(highest) > names.size()) {
    for (int k = static_cast<int>(names.size()) + 1; k <= highest; ++k) names.push_back(fmt::format("Label {}", k));
    pc.add_child(Node::make_dataset(names::kLabelNames, Value::strings(names, {names.size()})));
    std::vector<std::int64_t> colors;
    for (std::size_t k = 0; k < names.size(); ++k)
      for (int c = 0; c < 3; ++c) colors.push_back(static_cast<std::int64_t>((k * 97 + static_cast<std::size_t>(c) * 61) % 256));
    pc.add_child(Node::make_dataset(names::kLabelColors, Value::from_vector(colors, {names.size(), 3})));
    pc.add_child(Node::make_dataset(names::kPmapColors, Value::from_vector(colors, {names.size(), 3})));
    report.notes.push_back(fmt::format("label names added up to {}", names.back()));
  }
  if (pc.child(names::kClassifierForests)) {
    pc.remove_child(names::kClassifierForests);
    report.notes.push_back("removed the stored classifier: it was trained on other labels (retrain with `ilpkit train`)");
  }
  // Read back before it replaces anything: the decoded labels must be the image.
  surgery::save_project(tree, project, save, report, [&](const std::string& staged) {
    if (decode_labels(read_project(staged), lane).data != dense)
      throw Error(ErrorKind::Internal, fmt::format("{}: the imported labels read back differently", staged));
  });
  report.changed = true;
  return report;
}

}  // namespace ilpkit
