// SPDX-License-Identifier: MIT
#pragma once

#include <optional>

#include "ilpkit/project.hpp"
#include "ilpkit/tree.hpp"

namespace ilpkit::classifier {

/// The stored factory, or ilastik's default (with the reason) when absent or unreadable.
ClassifierFactory parse_factory(const Node* pixel_classification, Diagnostics& d);

/// The stored forests; nullopt when there is no ClassifierForests group.
std::optional<Classifier> parse_classifier(const Node* pixel_classification, Diagnostics& d);

}  // namespace ilpkit::classifier
