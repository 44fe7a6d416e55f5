// SPDX-License-Identifier: MIT
// `ilpkit set-features`: change a project's feature selection (surgery.md §2.8).
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "commands.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/surgery.hpp"

namespace ilpkit::cli {

namespace {

struct SetFeaturesArgs {
  std::string project, features, ids, scales, in_2d, from;
  SaveOptions save;
};

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, sep);)
    if (!part.empty()) out.push_back(part);
  return out;
}

double parse_scale(const std::string& text) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  throw Error(ErrorKind::Usage, fmt::format("'{}' is not a scale (σ), e.g. 0.7", text));
}

// ilastik computes 2-D data in 2-D whatever is asked; 3-D data in 3-D unless asked otherwise.
bool data_is_flat(const std::string& project) {
  try {
    return project_geometry(read_project(project)).z == 1;
  } catch (const Error&) {
    return true;
  }
}

std::vector<FeatureChoice> choices_from(const SetFeaturesArgs& a) {
  const int sources = !a.features.empty() + !a.ids.empty() + !a.from.empty();
  if (sources != 1)
    throw Error(ErrorKind::Usage, "give exactly one of --features, --ids with --scales, or --from");
  if (!a.from.empty()) return feature_choices_of(a.from);
  const bool flat = data_is_flat(a.project);
  std::vector<FeatureChoice> out;
  if (!a.features.empty()) {
    for (const auto& item : split(a.features, ',')) {
      // ID@SIGMA, optionally /2d or /3d
      const auto at = item.find('@');
      if (at == std::string::npos) throw Error(ErrorKind::Usage, fmt::format("--features: '{}' is not ID@SIGMA[/2d|/3d]", item));
      std::string sigma = item.substr(at + 1);
      bool in_2d = flat;
      if (const auto slash = sigma.find('/'); slash != std::string::npos) {
        const std::string mode = sigma.substr(slash + 1);
        if (mode != "2d" && mode != "3d") throw Error(ErrorKind::Usage, fmt::format("--features: '{}': expected /2d or /3d", item));
        in_2d = mode == "2d";
        sigma.erase(slash);
      }
      out.push_back({item.substr(0, at), parse_scale(sigma), in_2d});
    }
    return out;
  }
  if (a.scales.empty()) throw Error(ErrorKind::Usage, "--ids needs --scales");
  std::vector<double> in_2d_scales;
  const bool all_2d = a.in_2d == "all", none_2d = a.in_2d == "none";
  if (!a.in_2d.empty() && !all_2d && !none_2d)
    for (const auto& s : split(a.in_2d, ',')) in_2d_scales.push_back(parse_scale(s));
  for (const auto& id : split(a.ids, ','))
    for (const auto& s : split(a.scales, ',')) {
      const double v = parse_scale(s);
      const bool in_2d = a.in_2d.empty() ? flat
                         : all_2d        ? true
                         : none_2d       ? false
                                         : std::find(in_2d_scales.begin(), in_2d_scales.end(), v) != in_2d_scales.end();
      out.push_back({id, v, in_2d});
    }
  return out;
}

}  // namespace

void register_set_features(CLI::App& app) {
  auto a = std::make_shared<SetFeaturesArgs>();
  auto* cmd = app.add_subcommand(
      "set-features",
      "Change a project's feature selection. The stored classifier is deleted when the feature channels change "
      "(ilastik 1.4.2 would fail on a different count and predict silently with a stale forest of the same count); "
      "retrain with `ilpkit train`. Writes -o OUT, or replaces the project after copying it to PROJECT.bak.");
  cmd->add_option("project", a->project, "The .ilp project file")->required();
  cmd->add_option("--features", a->features,
                  "Comma-separated ID@SIGMA[/2d|/3d], e.g. GaussianSmoothing@0.7,HessianOfGaussianEigenvalues@1.6/2d");
  cmd->add_option("--ids", a->ids,
                  "Comma-separated feature ids (GaussianSmoothing, LaplacianOfGaussian, GaussianGradientMagnitude, "
                  "DifferenceOfGaussians, StructureTensorEigenvalues, HessianOfGaussianEigenvalues), each at every --scales");
  cmd->add_option("--scales", a->scales, "Comma-separated σ values for --ids, e.g. 0.3,1.0,3.5");
  cmd->add_option("--2d", a->in_2d,
                  "Scales computed in 2-D: all, none or a comma-separated list (default: all for 2-D data, none for 3-D)");
  cmd->add_option("--from", a->from, "Copy the selection of another project");
  add_edit_options(cmd, a->save);
  cmd->callback([a] {
    const EditReport r = set_features(a->project, choices_from(*a), a->save);
    print_edit_report(r);
  });
}

}  // namespace ilpkit::cli
