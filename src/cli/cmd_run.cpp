// SPDX-License-Identifier: MIT
// `ilpkit run`: ilastik's headless command line for Pixel Classification, same flag spellings
// (--x=y and --x y, underscores or dashes). Flags ilastik has but this version does not
// implement yet are refused by name rather than ignored.

#include <cctype>
#include <chrono>
#include <optional>
#include <iostream>

#include <fmt/format.h>

#include "commands.hpp"
#include "report.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/headless.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/pipeline.hpp"
#include "ilpkit/train.hpp"

namespace ilpkit::cli {

namespace {

struct RunOptions {
  std::string project;
  std::vector<std::string> positional;
  std::vector<std::string> raw_data;
  std::vector<std::string> prediction_mask;
  std::string cutout;
  std::string export_source = "Probabilities";
  std::string output_format;
  std::string filename_format;
  std::string internal_path;
  std::string export_dtype;
  std::string pipeline_result_drange, export_drange;
  std::string output_axis_order;
  std::string input_axes;
  std::string stack_along = "z";
  std::optional<std::string> readonly;  ///< ilastik's --readonly [BOOL]; headless default: true
  bool readonly_given = false;
  bool ignore_training_axistags = false;
  int threads = 0;
  std::string block_shape;
  bool quiet = false;
  bool progress = false;
  std::string log_format = "text";
  std::string logfile, redirect_output;
  bool retrain = false;
  int tree_count = 0;
  std::uint64_t seed = 0;
  std::vector<std::string> not_yet;  ///< ilastik flags given that this version does not implement
};

std::array<std::int64_t, 3> parse_block_shape(const std::string& text) {
  std::vector<std::int64_t> v;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto next = text.find_first_of(",x", pos);
    std::string part = text.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
    try {
      std::size_t used = 0;
      long long n = std::stoll(part, &used);
      if (used != part.size() || n <= 0) throw std::invalid_argument(part);
      v.push_back(n);
    } catch (const std::exception&) {
      throw Error(ErrorKind::Usage, fmt::format("--block-shape '{}': expected positive integers like 256,256 (y,x) "
                                                "or 64,256,256 (z,y,x)",
                                                text));
    }
    if (next == std::string::npos) break;
    pos = next + 1;
  }
  if (v.size() == 2) return {1, v[0], v[1]};
  if (v.size() == 3) return {v[0], v[1], v[2]};
  throw Error(ErrorKind::Usage, fmt::format("--block-shape '{}': give 2 (y,x) or 3 (z,y,x) extents", text));
}

// ilastik parses "(a,b)" as JSON after ( -> [, ) -> ], None -> null.
std::pair<double, double> parse_drange(const char* flag, const std::string& text) {
  std::string t = text;
  for (char& ch : t)
    if (ch == '(') ch = '[';
    else if (ch == ')') ch = ']';
  std::vector<double> v;
  std::size_t pos = t.find('[');
  const std::size_t end = t.rfind(']');
  bool ok = pos != std::string::npos && end != std::string::npos && end > pos;
  if (ok) {
    std::string body = t.substr(pos + 1, end - pos - 1);
    std::size_t at = 0;
    while (ok && at <= body.size()) {
      const std::size_t comma = body.find(',', at);
      std::string part = body.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      part.erase(0, part.find_first_not_of(" \t"));
      part.erase(part.find_last_not_of(" \t") + 1);
      if (part == "None" || part == "null")
        throw Error(ErrorKind::Unsupported,
                    fmt::format("{}={}: None (take the bound from the data) is not supported; give both numbers", flag,
                                text));
      try {
        std::size_t used = 0;
        v.push_back(std::stod(part, &used));
        ok = used == part.size();
      } catch (const std::exception&) {
        ok = false;
      }
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
  }
  if (!ok || v.size() != 2)
    throw Error(ErrorKind::Usage, fmt::format("{}={}: expected two numbers like (0.0,1.0)", flag, text));
  return {v[0], v[1]};
}

// ilastik's OptionalFlagAction: a bare flag is true, else 1/0/true/false/yes/no/on/off.
bool parse_readonly(const std::optional<std::string>& value) {
  if (!value || value->empty()) return true;
  std::string v = *value;
  for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off") return false;
  throw Error(ErrorKind::Usage, fmt::format("--readonly {}: expected 1/0, true/false, yes/no or on/off", *value));
}

int default_threads() {
  // Pipelines that call ilastik set LAZYFLOW_THREADS; honour it the same way.
  if (const char* env = std::getenv("LAZYFLOW_THREADS"); env && *env) {
    try {
      int n = std::stoi(env);
      if (n > 0) return n;
    } catch (const std::exception&) {
    }
  }
  return 0;
}

void run(const RunOptions& o) {
  if (!o.redirect_output.empty()) {
    // ilastik's --redirect_output: everything the run prints goes to the file instead.
    if (!std::freopen(o.redirect_output.c_str(), "a", stderr) || !std::freopen(o.redirect_output.c_str(), "a", stdout))
      throw Error(ErrorKind::Io, fmt::format("--redirect_output {}: cannot open it for writing", o.redirect_output));
  }
  if (!o.logfile.empty()) set_log_file(o.logfile);
  current_log_format() = parse_log_format(o.log_format);
  Reporter report(current_log_format(), o.quiet, o.progress);
  if (!o.not_yet.empty())
    throw Error(ErrorKind::Unsupported,
                fmt::format("{} {} not supported yet by this version of ilpkit", fmt::join(o.not_yet, ", "),
                            o.not_yet.size() == 1 ? "is" : "are"));
  if (!o.positional.empty() && !o.raw_data.empty())
    throw Error(ErrorKind::Usage, "give input files either as positional arguments or with --raw_data, not both");
  std::vector<std::string> inputs = o.raw_data.empty() ? o.positional : o.raw_data;
  if (inputs.empty()) throw Error(ErrorKind::Usage, "no input files (give them after the flags or with --raw_data)");

  // Headless ilastik is read-only unless --readonly=0; then a retrained classifier is saved.
  const bool readonly = !o.readonly_given || parse_readonly(o.readonly);
  Project project = read_project(o.project);
  const int threads = o.threads > 0 ? o.threads : default_threads();
  const bool untrained = !project.classifier || project.classifier->forests.empty();
  if (o.tree_count > 0) project.factory.num_trees = o.tree_count;
  const bool trained = o.retrain || untrained || o.tree_count > 0;
  if (trained) {
    // ilastik trains from the stored labels when asked to, or when the project has no classifier.
    const auto start = std::chrono::steady_clock::now();
    BlockwiseOptions bo;
    bo.threads = threads;
    TrainingSamples samples = with_context("training from the project's labels", [&] {
      return collect_training_samples(project, bo);
    });
    TrainOptions to;
    to.trees = project.factory.num_trees;
    to.forests = project.factory.num_forests;
    to.seed = o.seed;
    to.threads = threads;
    project.classifier = with_context("training from the project's labels", [&] { return train_classifier(samples, to); });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    report.message(fmt::format("ilpkit: trained {} trees in {} forest(s) on {} labelled pixels ({} features) in {:.2f} s{}",
                               project.classifier->tree_count(), project.classifier->forests.size(), samples.size(),
                               samples.feature_count, seconds,
                               untrained && !o.retrain ? " (the project had no classifier)" : ""),
                   {{"event", "trained"}, {"trees", project.classifier->tree_count()},
                    {"forests", project.classifier->forests.size()}, {"samples", samples.size()},
                    {"features", samples.feature_count}, {"seconds", seconds},
                    {"saved", !readonly}, {"reason", o.retrain ? "--retrain"
                               : o.tree_count > 0 ? "--tree-count"
                                                  : "the project had no classifier"}});
  }
  if (trained && !readonly) {
    Diagnostics diagnostics;
    IlpTree tree = load_tree(o.project, ReadOptions{}, diagnostics);
    store_classifier(tree, *project.classifier, o.tree_count > 0 ? &project.factory : nullptr);
    write_tree(tree, o.project);  // a temporary file renamed into place
    report.message(fmt::format("ilpkit: saved the retrained classifier into {} (--readonly=0)", o.project),
                   {{"event", "saved"}, {"project", o.project}});
  }
  ExportRequest req;
  req.source = parse_export_source(o.export_source);
  const auto* stored = project.export_settings ? &*project.export_settings : nullptr;
  req.output_format = !o.output_format.empty() ? o.output_format
                      : stored && stored->format ? *stored->format
                                                 : "hdf5";
  req.filename_format = o.filename_format;
  req.internal_path = o.internal_path;
  req.output_axis_order = o.output_axis_order;
  req.export_dtype = o.export_dtype;
  // ilastik: --export_drange needs --pipeline_result_drange; the latter alone is ignored.
  if (!o.export_drange.empty()) {
    if (o.pipeline_result_drange.empty())
      throw Error(ErrorKind::Usage, "--export_drange needs --pipeline_result_drange (the range it maps from)");
    const auto [in_lo, in_hi] = parse_drange("--pipeline_result_drange", o.pipeline_result_drange);
    const auto [out_lo, out_hi] = parse_drange("--export_drange", o.export_drange);
    req.normalize = Normalization{in_lo, in_hi, out_lo, out_hi};
  }
  req.input_axes = o.input_axes;
  if (!o.cutout.empty()) req.cutout = parse_cutout(o.cutout);
  if (!o.prediction_mask.empty() && o.prediction_mask.size() != inputs.size())
    throw Error(ErrorKind::Usage, fmt::format("{} prediction mask(s) for {} input(s): give one mask per input, in the "
                                              "same order",
                                              o.prediction_mask.size(), inputs.size()));
  if (o.stack_along.size() != 1 || std::string("ztc").find(o.stack_along) == std::string::npos)
    throw Error(ErrorKind::Usage, fmt::format("--stack_along '{}': expected z, t or c", o.stack_along));
  req.stack_along = o.stack_along.front();
  req.impose_training_axes = !o.ignore_training_axistags;
  req.blockwise.threads = threads;
  if (!o.block_shape.empty()) req.blockwise.block_shape = parse_block_shape(o.block_shape);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto start = std::chrono::steady_clock::now();
    report.start_input();
    if (report.shows_progress())
      req.blockwise.progress = [&](std::size_t done, std::size_t total) {
        report.progress(inputs[i], i, inputs.size(), done, total);
      };
    const std::string mask = o.prediction_mask.empty() ? std::string() : o.prediction_mask[i];
    ExportResult r = with_context(fmt::format("exporting {}", inputs[i]),
                                  [&] { return export_image(project, inputs[i], req, mask); });
    for (const auto& w : r.warnings)
      report.message("ilpkit: warning: " + w, {{"event", "warning"}, {"input", inputs[i]}, {"message", w}});
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::string dataset = r.internal_path.empty()            ? ""
                                : r.internal_path.front() == '/' ? r.internal_path
                                                                 : "/" + r.internal_path;
    report.message(fmt::format("ilpkit: {} -> {}{} ({} {} {}, {:.2f} s)", r.input, r.output_path, dataset,
                               to_string(r.dtype), r.axes, fmt::join(r.shape, "×"), seconds),
                   {{"event", "exported"}, {"input", r.input}, {"index", i}, {"inputs", inputs.size()},
                    {"output", r.output_path}, {"dataset", dataset}, {"dtype", to_string(r.dtype)}, {"axes", r.axes},
                    {"shape", r.shape}, {"seconds", seconds}});
  }
}

}  // namespace

void register_run(CLI::App& app) {
  auto opt = std::make_shared<RunOptions>();
  auto* cmd = app.add_subcommand(
      "run",
      "Run a project on images, as `ilastik --headless` does: same flags, same outputs.\n"
      "Example: ilpkit run --project=cells.ilp --export_source=Features --output_format=hdf5 \\\n"
      "           --output_filename_format={dataset_dir}/{nickname}_{result_type}.h5 img1.h5/data img2.tif\n"
      "Export sources: Probabilities (float32, one channel per label), Simple Segmentation (uint8,\n"
      "argmax + 1), Uncertainty (float32, 1 - (p1 - p2)) from the project's stored forests, and Features\n"
      "(float32, ilastik's channel order and names).");
  cmd->add_flag("--headless", "Accepted for compatibility (ilpkit is always headless)");
  cmd->add_option("--project", opt->project, "The .ilp project")->required()->check(CLI::ExistingPath);
  cmd->add_option("inputs", opt->positional,
                  "Input images: file.h5, file.h5/internal/path, TIFF, PNG, .npy, or a quoted glob / ':'-joined list "
                  "of 2-D images as one stack (one lane each; the project is loaded once)");
  cmd->add_option("--raw_data,--raw-data", opt->raw_data, "Input images for the Raw Data role (instead of positional)");
  cmd->add_option("--prediction_mask,--prediction-mask", opt->prediction_mask,
                  "One mask per input, same shape apart from channels: pixels that are 0 in every mask channel get "
                  "probability 0 (segmentation 1); blocks it hides entirely are not computed");
  cmd->add_option("--cutout_subregion,--cutout-subregion", opt->cutout,
                  "\"[(start,...),(stop,...)]\": export only this region, one entry per axis of ilastik's internal "
                  "order t,z,y,x,c without singleton t/z (y,x,c for 2-D; z,y,x,c for 3-D); None = open end");
  cmd->add_option("--export_source,--export-source", opt->export_source,
                  "Probabilities (default), \"Simple Segmentation\", Uncertainty, Features or Labels (case-insensitive)")
      ->capture_default_str();
  cmd->add_option("--output_format,--output-format", opt->output_format,
                  "hdf5 (default unless the project stores another), \"compressed hdf5\" (gzip level 1), n5, "
                  "\"compressed n5\" (folders of chunks, gzip level 1), \"single-scale OME-Zarr\" (Zarr v2, t,c,z,y,x, "
                  "zlib), \"multi-scale OME-Zarr\" (plus levels downscaled by 2 in z,y,x as ilastik makes them), numpy "
                  "(.npy), tif/tiff (one page, channels as samples; axes must end in yxc), \"multipage tiff\" (one "
                  "page per plane), png (one y,x image of uint8/uint16: use --export_dtype and the drange flags for "
                  "probabilities), bmp, gif, hdr, jpeg, jpg, pbm, pgm, ppm, pnm, ras (written by VIGRA as ilastik "
                  "does; 1 or 3 channels), or any of those 2-D formats or \"multipage tiff\" + \" sequence\" (one "
                  "file per index of the first output axis, t or z)");
  cmd->add_option("--output_filename_format,--output-filename-format", opt->filename_format,
                  "Output path template; placeholders {dataset_dir}, {nickname}, {result_type}, {roi}, {x_start}, "
                  "{x_stop} (and y, z, t, c), {slice_index} (sequences); the extension is replaced by the format's. "
                  "Default: the project's, else {dataset_dir}/{nickname}_{result_type}");
  cmd->add_option("--output_internal_path,--output-internal-path", opt->internal_path,
                  "HDF5 dataset to write (default: exported_data)");
  cmd->add_option("--export_dtype,--export-dtype", opt->export_dtype,
                  "uint8, uint16, uint32, int8, int16, int32, float32 or float64 (default: the project's stored "
                  "one, else float32 for Probabilities/Uncertainty/Features and uint8 for Simple Segmentation). "
                  "Without normalization a plain cast: probabilities to uint8 truncate to 0");
  cmd->add_option("--pipeline_result_drange,--pipeline-result-drange", opt->pipeline_result_drange,
                  "\"(a,b)\": the range of the result to map onto --export_drange (alone it is ignored, as in "
                  "ilastik)");
  cmd->add_option("--export_drange,--export-drange", opt->export_drange,
                  "\"(c,d)\": normalize [a,b] to [c,d] in float32, then round half to even for integer dtypes, "
                  "no clipping. Default: the project's stored normalization if it has all four bounds");
  cmd->add_option("--output_axis_order,--output-axis-order", opt->output_axis_order,
                  "Output axes from txyzc (default: the input's axes with c appended)");
  cmd->add_option("--input_axes,--input-axes", opt->input_axes,
                  "Axes of the input data, e.g. yxc, zyx, tzyxc (default: the training lane's axes, as ilastik)");
  cmd->add_option("--stack_along,--stack-along", opt->stack_along,
                  "Axis along which a glob (\"dir/*.png\", quoted) or a ':'-joined list of 2-D images is stacked: "
                  "z, t or c")
      ->capture_default_str();
  cmd->add_flag("--ignore_training_axistags,--ignore-training-axistags", opt->ignore_training_axistags,
                "Use the input file's own axis tags instead of the training lane's");
  cmd->add_option_function<std::vector<std::string>>(
         "--readonly",
         [opt](const std::vector<std::string>& v) {
           opt->readonly_given = true;
           opt->readonly = v.empty() ? std::string() : v.front();
         },
         "[BOOL] ilastik's flag; headless runs are read-only by default. --readonly=0 with --retrain (or "
         "--tree-count, or an untrained project) saves the new classifier into the project, as ilastik does")
      ->expected(0, 1);
  cmd->add_option("--threads", opt->threads, "Worker threads (default: LAZYFLOW_THREADS, else all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--block-shape,--block_shape", opt->block_shape,
                  "Block extents y,x or z,y,x (default: chosen from the image and the feature halo)");
  cmd->add_flag("--quiet,-q", opt->quiet, "No progress and no summary line");
  cmd->add_flag("--progress", opt->progress,
                "Show progress even when stderr is not a terminal (then one line per 10 %)");
  cmd->add_option("--log-format,--log_format", opt->log_format,
                  "text, or json: one JSON object per line on stderr (events trained, progress, exported, error)")
      ->capture_default_str();
  cmd->add_option("--logfile", opt->logfile, "Also append every message and error line to this file (ilastik's log file)");
  cmd->add_option("--redirect_output,--redirect-output", opt->redirect_output,
                  "Send everything the run prints (stdout and stderr) to this file, as ilastik's flag does");
  // ilastik flags that only shape ilastik's own process (debug mode, log labels, sys.path): no
  // effect on what ilpkit computes or writes.
  cmd->add_flag("--debug", "Accepted for compatibility (no effect)")->group("ilastik compatibility");
  cmd->add_option("--process_name,--process-name", "Accepted for compatibility (no effect)")
      ->group("ilastik compatibility");
  cmd->add_flag("--clean_paths,--clean-paths", "Accepted for compatibility (no effect)")->group("ilastik compatibility");
  cmd->add_flag("--retrain", opt->retrain,
                "Train the classifier from the project's labels before exporting (as ilastik's flag; the project "
                "is saved only with --readonly=0). Projects without a trained classifier are trained anyway, as in "
                "ilastik");
  cmd->add_option("--tree-count,--tree_count", opt->tree_count,
                  "Retrain with this many trees before exporting (as ilastik's flag; the project is saved only with "
                  "--readonly=0)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed", opt->seed, "Seed for training (default: from the clock, as ilastik); equal seeds give "
                                       "equal forests for any thread count");
  // ilastik flags that later versions of ilpkit implement: refused by name, never ignored.
  struct NotYet {
    const char* names;
    bool takes_values;
  };
  for (const NotYet& flag : {NotYet{"--distributed", false}, NotYet{"--preconvert_stacks,--preconvert-stacks", false},
                             NotYet{"--distributed_block_roi,--distributed-block-roi", true},
                             NotYet{"--label-proportion,--label_proportion", true},
                             NotYet{"--variable-importance-path,--variable_importance_path", true}}) {
    const std::string names = flag.names, first = names.substr(0, names.find(','));
    auto refuse = [opt, first] { opt->not_yet.push_back(first); };
    CLI::Option* o = flag.takes_values
                         ? cmd->add_option_function<std::vector<std::string>>(
                                  names, [refuse](const std::vector<std::string>&) { refuse(); },
                                  "Not supported yet by this version")
                               ->expected(0, -1)
                         : cmd->add_flag_callback(names, refuse, "Not supported yet by this version");
    o->group("Not yet supported");
  }
  cmd->callback([opt] { run(*opt); });
}

}  // namespace ilpkit::cli
