// SPDX-License-Identifier: MIT
// Derived facts of a Project: geometry, feature channels, classifier/feature agreement.
#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "ilpkit/feature_engine.hpp"
#include "ilpkit/ilp.hpp"
#include "labels.hpp"

namespace ilpkit {

const char* to_string(DataLocation location) noexcept {
  switch (location) {
    case DataLocation::FileSystem: return "FileSystem";
    case DataLocation::ProjectInternal: return "ProjectInternal";
    case DataLocation::Url: return "Url";
    case DataLocation::Preloaded: return "PreloadedArray";
  }
  return "FileSystem";
}

std::size_t Classifier::tree_count() const {
  std::size_t n = 0;
  for (const auto& f : forests) n += f.trees.size();
  return n;
}

std::size_t Classifier::feature_count() const { return forests.empty() ? 0 : static_cast<std::size_t>(forests.front().column_count); }

std::string label_order_misfit(const Project& project, std::size_t lane, const std::string& order) {
  if (lane >= project.labels.size() || lane >= project.lanes.size() || !project.lanes[lane].raw)
    return "the lane has no labels or no raw data";
  return labels::misfit(order, project.labels[lane], *project.lanes[lane].raw);
}

ImageGeometry project_geometry(const Project& project) {
  for (const auto& lane : project.lanes)
    if (!lane.internal_axes.empty() && lane.internal_shape)
      return ImageGeometry::from_internal(lane.internal_axes, *lane.internal_shape);
  return ImageGeometry{};
}

std::vector<FeatureChannel> project_feature_channels(const Project& project) {
  if (!project.features) return {};
  return feature_channels(*project.features, project_geometry(project));
}

ClassifierMatch match_classifier(const Project& project) {
  ClassifierMatch m;
  if (!project.classifier || project.classifier->forests.empty()) {
    m.reason = "no stored classifier";
    return m;
  }
  m.forest_features = project.classifier->feature_count();
  if (!project.features || project.features->empty()) {
    m.reason = "the project has no feature selection";
    return m;
  }
  std::vector<FeatureChannel> channels;
  try {
    channels = project_feature_channels(project);
  } catch (const Error& e) {
    m.reason = e.detail();
    return m;
  }
  m.expected_features = channels.size();
  if (m.expected_features != m.forest_features) {
    m.reason = fmt::format("the feature selection gives {} channels, the forests expect {}", m.expected_features,
                           m.forest_features);
    return m;
  }
  const auto& stored = project.classifier->feature_names;
  if (!stored) {
    m.matches = true;
    m.reason = "feature_names not stored; only the count was compared";
    return m;
  }
  // Before ComputeIn2d existed (ilastik < 1.3.2) names carried no " in 2D" suffix.
  try {
    check_feature_names(channels, *stored, !project.features->compute_in_2d_stored);
  } catch (const Error& e) {
    m.reason = e.detail();
    return m;
  }
  m.matches = true;
  return m;
}

}  // namespace ilpkit
