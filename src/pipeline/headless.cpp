// SPDX-License-Identifier: MIT
// Mirrors: ilastik DataExportApplet / OpFormattedDataExport (output paths, axis order, HDF5
// layout), DataSelectionApplet batch input rules ("Using axistags from previous lane"),
// OpPixelClassificationDataExport._checkDataConstraint (channels and axes must match training).
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "ilpkit/feature_engine.hpp"
#include "ilpkit/headless.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/parallel.hpp"
#include "ilpkit/predict.hpp"

namespace ilpkit {

namespace fs = std::filesystem;

namespace {

struct SourceName {
  ExportSource source;
  const char* name;
};
constexpr SourceName kSources[] = {
    {ExportSource::Probabilities, "Probabilities"},
    {ExportSource::SimpleSegmentation, "Simple Segmentation"},
    {ExportSource::Uncertainty, "Uncertainty"},
    {ExportSource::Features, "Features"},
    {ExportSource::Labels, "Labels"},
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
}

// The lane whose axes ilastik imposes on batch inputs: the last training lane with raw data.
const DatasetInfo* training_raw(const Project& p) {
  for (auto it = p.lanes.rbegin(); it != p.lanes.rend(); ++it)
    if (it->raw && !it->raw->axes.empty()) return &*it->raw;
  return nullptr;
}

std::string spatial_axes(const std::string& axes, const Shape& shape) {
  std::string out;
  for (std::size_t i = 0; i < axes.size(); ++i)
    if (axes[i] != 't' && axes[i] != 'c' && (i >= shape.size() || shape[i] > 1)) out += axes[i];
  std::sort(out.begin(), out.end());
  return out;
}

// The part of the image an export covers: ilastik's cutout, in the workflow-internal order
// (ilp-format.md §3.7: t, z, y, x, c without singleton t/z), clipped to the image.
struct Selection {
  Box box;                  ///< z, y, x
  std::int64_t t0 = 0, t1 = 1, c0 = 0, c1 = 1;
  bool whole = true;

  std::int64_t extent(char axis) const {
    switch (axis) {
      case 't': return t1 - t0;
      case 'z': return box.extent(0);
      case 'y': return box.extent(1);
      case 'x': return box.extent(2);
      case 'c': return c1 - c0;
      default: return 1;
    }
  }
  std::int64_t begin(char axis) const {
    switch (axis) {
      case 't': return t0;
      case 'z': return box.begin[0];
      case 'y': return box.begin[1];
      case 'x': return box.begin[2];
      case 'c': return c0;
      default: return 0;
    }
  }
};

Selection select_region(const ImageInfo& in, std::int64_t channels, const std::optional<Cutout>& cut,
                        std::vector<std::string>& warnings) {
  Selection s;
  const ImageGeometry g = in.geometry();
  s.box.end = {g.z, g.y, g.x};
  s.t1 = in.extent('t');
  s.c1 = channels;
  if (!cut) return s;
  std::string axes;
  if (in.extent('t') > 1) axes += 't';
  if (in.extent('z') > 1) axes += 'z';
  axes += "yxc";
  if (cut->start.size() != axes.size() || cut->stop.size() != axes.size())
    throw Error(ErrorKind::Usage,
                fmt::format("--cutout_subregion gives {} start and {} stop values, but this export's axes are '{}' ({} "
                            "values each, in that order)",
                            cut->start.size(), cut->stop.size(), axes, axes.size()));
  for (std::size_t i = 0; i < axes.size(); ++i) {
    const char a = axes[i];
    const std::int64_t full = a == 'c' ? channels : in.extent(a);
    std::int64_t lo = cut->start[i].value_or(0), hi = cut->stop[i].value_or(full);
    if (lo < 0 || hi > full) {
      warnings.push_back(fmt::format("--cutout_subregion: {} range [{}, {}) clipped to [0, {})", a, lo, hi, full));
      lo = std::max<std::int64_t>(lo, 0), hi = std::min(hi, full);
    }
    if (hi <= lo)
      throw Error(ErrorKind::Usage, fmt::format("--cutout_subregion selects nothing along {} ([{}, {}))", a, lo, hi));
    switch (a) {
      case 't': s.t0 = lo, s.t1 = hi; break;
      case 'z': s.box.begin[0] = lo, s.box.end[0] = hi; break;
      case 'y': s.box.begin[1] = lo, s.box.end[1] = hi; break;
      case 'x': s.box.begin[2] = lo, s.box.end[2] = hi; break;
      default: s.c0 = lo, s.c1 = hi; break;
    }
    if (lo != 0 || hi != full) s.whole = false;
  }
  return s;
}

// Output axes and shape: the requested order, or the input's own axes with c appended.
std::pair<std::string, Shape> output_layout(const ImageInfo& in, const Selection& sel, const std::string& order) {
  std::string axes = order.empty() ? with_channel(in.axes) : order;
  try {
    check_axes(axes);
  } catch (const Error& e) {
    throw Error(ErrorKind::Usage, fmt::format("--output_axis_order '{}': {}", order, e.detail()));
  }
  if (axes.find('c') == std::string::npos) axes += 'c';
  Shape shape;
  for (char a : axes) shape.push_back(sel.extent(a));
  for (std::size_t i = 0; i < in.axes.size(); ++i)
    if (in.axes[i] != 'c' && sel.extent(in.axes[i]) > 1 && axes.find(in.axes[i]) == std::string::npos)
      throw Error(ErrorKind::Usage, fmt::format("--output_axis_order '{}' drops axis '{}' of extent {}", order,
                                                in.axes[i], sel.extent(in.axes[i])));
  return {axes, shape};
}

// The forest's outputs for one block: probabilities, or the segmentation/uncertainty derived
// from them. Samples are split over the threads in fixed chunks (results do not depend on it).
// With a prediction mask, pixels that are 0 in every mask channel get probability 0 everywhere
// (so segmentation 1, as in ilastik); a block the mask hides arrives without features.
void derive_from_forest(const Predictor& predictor, ExportSource source, const PlanarBlock& features,
                        const PlanarBlock* mask, PlanarBlock& out) {
  const std::int64_t n = features.plane_size();
  const std::size_t k = predictor.label_count();
  PlanarBlock probabilities;
  PlanarBlock& p = source == ExportSource::Probabilities ? out : probabilities;
  p.reset(features.box, static_cast<int>(k));
  if (features.channels == 0) {
    std::fill(p.data.begin(), p.data.end(), 0.0f);
  } else {
    constexpr std::int64_t kChunk = 8192;
    const auto chunks = static_cast<std::size_t>((n + kChunk - 1) / kChunk);
    parallel_for(chunks, [&](std::size_t c) {
      const std::int64_t i0 = static_cast<std::int64_t>(c) * kChunk, len = std::min(kChunk, n - i0);
      predictor.predict(features.data.data() + i0, n, len, p.data.data() + i0, n);
    });
    if (mask)
      for (std::int64_t i = 0; i < n; ++i) {
        bool hidden = true;
        for (int c = 0; c < mask->channels && hidden; ++c) hidden = mask->channel(c)[i] == 0.0f;
        if (hidden)
          for (std::size_t c = 0; c < k; ++c) p.channel(static_cast<int>(c))[i] = 0.0f;
      }
  }
  if (source == ExportSource::Probabilities) return;
  out.reset(features.box, 1);
  if (source == ExportSource::SimpleSegmentation)
    segmentation_from_probabilities(p.data.data(), n, k, n, out.data.data());
  else
    uncertainty_from_probabilities(p.data.data(), n, k, n, out.data.data());
}

// Every block of every time point as zeros, in bands of the default block shape (coordinates
// relative to the output).
void write_zeros(const Box& image, std::int64_t times, const BlockwiseOptions& options, ImageWriter& writer) {
  std::array<std::int64_t, 3> shape = options.block_shape;
  const std::array<std::int64_t, 3> band{1, 256, 4096};
  for (std::size_t a = 0; a < 3; ++a)
    if (shape[a] <= 0) shape[a] = band[a];
  PlanarBlock zeros;
  for (std::int64_t t = 0; t < times; ++t)
    for (const Box& b : block_grid(image, shape)) {
      if (stop_requested()) throw Error(ErrorKind::Interrupted, "interrupted");
      zeros.reset(b, 1);
      std::fill(zeros.data.begin(), zeros.data.end(), 0.0f);
      writer.write(t, zeros);
    }
}

}  // namespace

ExportSource parse_export_source(const std::string& name) {
  for (const auto& s : kSources)
    if (lower(name) == lower(s.name)) return s.source;
  throw Error(ErrorKind::Usage, fmt::format("unknown export source '{}' (choose Probabilities, \"Simple "
                                            "Segmentation\", Uncertainty, Features or Labels)",
                                            name));
}

const char* export_source_name(ExportSource source) {
  for (const auto& s : kSources)
    if (s.source == source) return s.name;
  return "?";
}

std::string fill_region(std::string text, const ExportRegion& region) {
  if (region.axes.empty()) return text;
  // Python's repr of [start_tuple, stop_tuple]: "(5,)" for one element.
  auto tuple = [](const Shape& v) { return fmt::format("({}{})", fmt::join(v, ", "), v.size() == 1 ? "," : ""); };
  replace_all(text, "{roi}", fmt::format("[{}, {}]", tuple(region.start), tuple(region.stop)));
  for (std::size_t i = 0; i < region.axes.size(); ++i) {
    replace_all(text, fmt::format("{{{}_start}}", region.axes[i]), std::to_string(region.start[i]));
    replace_all(text, fmt::format("{{{}_stop}}", region.axes[i]), std::to_string(region.stop[i]));
  }
  return text;
}

std::string output_path_for(const std::string& filename_format, const ImageInfo& input, ExportSource source,
                            const std::string& output_format, const ExportRegion& region) {
  std::string path = fill_region(filename_format, region);
  if (!path.empty() && path[0] == '~')
    if (const char* home = std::getenv("HOME")) path = home + path.substr(1);
  std::error_code ec;
  fs::path dir = fs::absolute(fs::path(input.path).parent_path(), ec);
  replace_all(path, "{dataset_dir}", dir.lexically_normal().string());
  std::string nick = input.nickname();
  nick.erase(std::remove(nick.begin(), nick.end(), '*'), nick.end());
  replace_all(path, "{nickname}", nick);
  replace_all(path, "{result_type}", export_source_name(source));
  // Everything from the last '.' of the file name on becomes the format's extension.
  fs::path p(path);
  std::string name = p.filename().string();
  auto dot = name.rfind('.');
  if (dot != std::string::npos && dot > 0) name.erase(dot);
  return (p.parent_path() / (name + "." + format_extension(output_format))).string();
}

Cutout parse_cutout(const std::string& text) {
  // ilastik: ( -> [, ) -> ], None -> null, then JSON: a list of two lists.
  Cutout cut;
  std::vector<std::optional<std::int64_t>>* target = nullptr;
  int depth = 0, lists = 0;
  std::string token;
  auto bad = [&] {
    return Error(ErrorKind::Usage, fmt::format("--cutout_subregion '{}': expected two tuples like "
                                               "\"[(0,10,10,0,0),(1,20,20,5,1)]\" (None for an open end)",
                                               text));
  };
  auto flush = [&] {
    std::string t = token;
    token.clear();
    t.erase(0, t.find_first_not_of(" \t"));
    t.erase(t.find_last_not_of(" \t") + 1);
    if (t.empty()) return;
    if (!target) throw bad();
    if (t == "None" || t == "null") {
      target->push_back(std::nullopt);
      return;
    }
    try {
      std::size_t used = 0;
      const long long v = std::stoll(t, &used);
      if (used != t.size()) throw bad();
      target->push_back(v);
    } catch (const std::logic_error&) {
      throw bad();
    }
  };
  for (char ch : text) {
    if (ch == '(' || ch == '[') {
      if (++depth == 2) {
        if (lists >= 2) throw bad();
        target = lists++ == 0 ? &cut.start : &cut.stop;
      }
      if (depth > 2) throw bad();
    } else if (ch == ')' || ch == ']') {
      flush();
      if (--depth < 0) throw bad();
      if (depth == 1) target = nullptr;
    } else if (ch == ',') {
      flush();
    } else {
      token += ch;
    }
  }
  if (depth != 0 || lists != 2 || !token.empty()) throw bad();
  return cut;
}

ExportResult export_image(const Project& project, const std::string& input, const ExportRequest& req,
                          const std::string& prediction_mask) {
  format_extension(req.output_format);  // refuses unsupported formats before any work
  if (!project.features || project.features->selected_count() == 0)
    throw Error(ErrorKind::Usage, "the project selects no features");
  const bool needs_forest = req.source != ExportSource::Features && req.source != ExportSource::Labels;
  std::optional<Predictor> predictor;
  if (needs_forest) {
    if (!project.classifier || project.classifier->forests.empty())
      throw Error(ErrorKind::Usage, "the project has no trained classifier (train it first: ilpkit run --retrain)");
    predictor.emplace(*project.classifier, project.label_classes.size());
  }

  auto source = open_image(input, req.stack_along);
  ExportResult result;
  result.input = input;
  const DatasetInfo* training = training_raw(project);
  if (!req.input_axes.empty()) {
    source->set_axes(req.input_axes, "--input_axes");
  } else if (req.impose_training_axes && training && training->axes.size() == source->info().axes.size() &&
             training->axes != source->info().axes) {
    // ilastik imposes the training lane's axis tags on batch data of the same rank.
    source->set_axes(training->axes, "training lane");
  }
  const ImageInfo& info = source->info();
  result.input_axes_source = info.axes_source;

  // The input must fit what the project was trained on (channels, spatial axes).
  if (training && training->shape) {
    const auto& tshape = *training->shape;
    auto t_ch = training->axes.find('c') == std::string::npos ? 1 : tshape[training->axes.find('c')];
    if (t_ch != info.extent('c'))
      throw Error(ErrorKind::Usage,
                  fmt::format("{} has {} channel(s) (axes '{}', shape {}) but the project was trained on {} channel(s) "
                              "(axes '{}', shape {})",
                              input, info.extent('c'), info.axes, fmt::join(info.shape, "×"), t_ch, training->axes,
                              fmt::join(tshape, "×")));
    if (spatial_axes(info.axes, info.shape) != spatial_axes(training->axes, tshape))
      throw Error(ErrorKind::Usage,
                  fmt::format("{} has axes '{}' (shape {}) but the project was trained on axes '{}' (shape {}); "
                              "use --input_axes to say what the axes are",
                              input, info.axes, fmt::join(info.shape, "×"), training->axes, fmt::join(tshape, "×")));
  }

  std::unique_ptr<ImageSource> mask;
  if (!prediction_mask.empty() && needs_forest) {
    mask = with_context("reading the prediction mask", [&] { return open_image(prediction_mask, req.stack_along); });
    if (!req.input_axes.empty() && req.input_axes.size() == mask->info().axes.size())
      mask->set_axes(req.input_axes, "--input_axes");
    const ImageInfo& m = mask->info();
    for (char a : std::string("tzyx"))
      if (m.extent(a) != info.extent(a))
        throw Error(ErrorKind::Usage,
                    fmt::format("the prediction mask {} (axes '{}', shape {}) does not have the shape of {} (axes '{}', "
                                "shape {}) apart from channels",
                                prediction_mask, m.axes, fmt::join(m.shape, "×"), input, info.axes,
                                fmt::join(info.shape, "×")));
  }

  FeatureEngine engine(*project.features, info.geometry());
  if (project.classifier && project.classifier->feature_names)
    with_context("checking the stored classifier's feature_names", [&] {
      check_feature_names(engine.channels(), *project.classifier->feature_names,
                          !project.features->compute_in_2d_stored);
    });

  const auto* stored = project.export_settings ? &*project.export_settings : nullptr;
  std::string filename_format = req.filename_format;
  if (filename_format.empty())
    filename_format = stored && stored->filename_format
                          ? (fs::path(project.directory) / *stored->filename_format).string()
                          : "{dataset_dir}/{nickname}_{result_type}";
  std::string internal = req.internal_path;
  if (internal.empty()) internal = stored && stored->internal_path ? *stored->internal_path : "exported_data";

  if (predictor && predictor->feature_count() != engine.channels().size())
    throw Error(ErrorKind::Format,
                fmt::format("the stored classifier expects {} features but the project's feature selection gives {} "
                            "for this image",
                            predictor->feature_count(), engine.channels().size()));
  // Channels and dtype of each export source (ilastik's OpPixelClassification outputs).
  std::size_t out_channels = engine.channels().size();
  ValueType dtype = ValueType::Float32;
  switch (req.source) {
    case ExportSource::Probabilities: out_channels = predictor->label_count(); break;
    case ExportSource::SimpleSegmentation: out_channels = 1, dtype = ValueType::UInt8; break;
    case ExportSource::Uncertainty: out_channels = 1; break;
    // A batch lane has no labels: ilastik exports its (empty) label image as zeros.
    case ExportSource::Labels: out_channels = 1, dtype = ValueType::UInt8; break;
    default: break;
  }

  // Export conversion: the command line's, else the project's stored settings (ilastik applies
  // them in headless runs too).
  if (!req.export_dtype.empty())
    dtype = parse_export_dtype(req.export_dtype);
  else if (stored && stored->dtype)
    dtype = with_context("the project's stored export dtype", [&] { return parse_export_dtype(*stored->dtype); });
  std::optional<Normalization> normalize = req.normalize;
  if (!normalize && stored && stored->normalization_active())
    normalize = Normalization{*stored->input_min, *stored->input_max, *stored->export_min, *stored->export_max};

  // The cutout: the command line's, else the region stored with the project's export settings.
  std::optional<Cutout> cutout = req.cutout;
  if (!cutout && stored && stored->region_start && stored->region_stop) {
    cutout.emplace();
    // -1 stores None.
    for (auto v : *stored->region_start) cutout->start.push_back(v < 0 ? std::nullopt : std::optional<std::int64_t>(v));
    for (auto v : *stored->region_stop) cutout->stop.push_back(v < 0 ? std::nullopt : std::optional<std::int64_t>(v));
  }
  const Selection sel = select_region(info, static_cast<std::int64_t>(out_channels), cutout, result.warnings);
  const std::string axis_order = !req.output_axis_order.empty()         ? req.output_axis_order
                                 : stored && stored->axis_order ? *stored->axis_order
                                                                : std::string();
  auto [axes, shape] = output_layout(info, sel, axis_order);
  if (is_ome_zarr_format(req.output_format)) {
    // ilastik reorders OME-Zarr exports to t,c,z,y,x (absent axes of extent 1) after its own
    // axis ordering, so the output axis order has no effect there.
    axes = "tczyx";
    shape.clear();
    for (char a : axes) shape.push_back(sel.extent(a));
  }
  result.axes = axes;
  result.shape = shape;
  ExportRegion region{axes, {}, {}};
  for (char a : axes) {
    region.start.push_back(sel.begin(a));
    region.stop.push_back(sel.begin(a) + sel.extent(a));
  }
  result.output_path = output_path_for(filename_format, info, req.source, req.output_format, region);
  internal = fill_region(internal, region);
  const std::string format = lower(req.output_format);
  if (has_internal_path(format)) result.internal_path = internal;

  ImageWriterOptions w;
  w.path = result.output_path;
  w.internal_path = internal;
  w.axes = axes;
  w.shape = shape;
  w.offset = region.start;
  w.name = info.nickname();
  w.label_values = req.source == ExportSource::SimpleSegmentation || req.source == ExportSource::Labels;
  // 2-D image files have no axis order (vigra writes x as width whatever the array's order):
  // an x,y,c tail is the same picture as y,x,c.
  const bool image_file = writes_plane_images(format);
  if (image_file && w.axes.size() >= 3 && w.axes.compare(w.axes.size() - 3, 3, "xyc") == 0) {
    const std::size_t x = w.axes.size() - 3;
    std::swap(w.axes[x], w.axes[x + 1]);
    std::swap(w.shape[x], w.shape[x + 1]);
  }
  w.dtype = dtype;
  w.normalize = normalize;
  w.block_shape = export_block_shape(engine, req.blockwise);

  if (needs_forest)
    w.drange = std::make_pair(0.0, 1.0);  // ilastik's probability range, kept by its derived outputs
  else if (info.dtype == ValueType::UInt8)
    w.drange = std::make_pair(0.0, 255.0);
  result.dtype = dtype;
  auto writer = open_image_writer(req.output_format, w);
  const Box out_box{{0, 0, 0}, {sel.box.extent(0), sel.box.extent(1), sel.box.extent(2)}};
  if (req.source == ExportSource::Labels) {
    write_zeros(out_box, sel.t1 - sel.t0, req.blockwise, *writer);
    writer->commit();
    return result;
  }
  DeriveFn derive;
  if (needs_forest)
    derive = [&](const PlanarBlock& features, const PlanarBlock* block_mask, PlanarBlock& out) {
      derive_from_forest(*predictor, req.source, features, block_mask, out);
    };
  BlockwiseOptions options = req.blockwise;
  options.region = sel.box;
  options.t_begin = sel.t0;
  options.t_end = sel.t1;
  options.mask = mask.get();
  PlanarBlock moved;
  compute_derived_blockwise(*source, engine, options, derive, [&](std::int64_t t, const PlanarBlock& block) {
    if (sel.whole) return writer->write(t, block);
    // Blocks arrive in image coordinates with every channel: shift them to the cutout's origin
    // and keep its channels.
    Box b = block.box;
    for (std::size_t a = 0; a < 3; ++a) b.begin[a] -= sel.box.begin[a], b.end[a] -= sel.box.begin[a];
    moved.reset(b, static_cast<int>(sel.c1 - sel.c0));
    for (std::int64_t c = sel.c0; c < sel.c1; ++c)
      std::copy(block.channel(static_cast<int>(c)), block.channel(static_cast<int>(c)) + block.plane_size(),
                moved.channel(static_cast<int>(c - sel.c0)));
    writer->write(t - sel.t0, moved);
  });
  writer->commit();
  return result;
}

}  // namespace ilpkit
