// SPDX-License-Identifier: MIT
// Writing a trained classifier into a project tree in ilastik 1.4's layout. Mirrors: lazyflow
// parallelVigraRfLazyflowClassifier.py (serialize_hdf5), vigra random_forest_hdf5_impex.hxx
// (rf_export_HDF5), ilastik slotSerializer.py (SerialClassifierFactorySlot: pickle protocol 0).
#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "ilpkit/features.hpp"
#include "ilpkit/ilp.hpp"
#include "names.hpp"

namespace ilpkit {

namespace {

Value scalar_f64(double v) { return Value::from_vector(std::vector<double>{v}, {1}); }

std::unique_ptr<Node> forest_group(const Forest& f) {
  auto g = Node::make_group(f.name);
  g->set_attribute("vigra_random_forest_version", scalar_f64(0.1));
  for (const auto& t : f.trees) {
    auto tg = Node::make_group(t.name);
    tg->add_child(Node::make_dataset("topology", Value::from_vector(t.topology, {t.topology.size()})));
    tg->add_child(Node::make_dataset("parameters", Value::from_vector(t.parameters, {t.parameters.size()})));
    g->add_child(std::move(tg));
  }
  auto ext = Node::make_group("_ext_param");
  for (const auto& [k, v] : f.ext_param) ext->add_child(Node::make_dataset(k, scalar_f64(v)));
  ext->add_child(Node::make_dataset("class_weights_", Value::from_vector(f.class_weights, {f.class_weights.size()})));
  ext->add_child(Node::make_dataset("labels", Value::from_vector(f.labels, {f.labels.size()})));
  g->add_child(std::move(ext));
  auto opt = Node::make_group("_options");
  for (const auto& [k, v] : f.options) opt->add_child(Node::make_dataset(k, scalar_f64(v)));
  g->add_child(std::move(opt));
  return g;
}

}  // namespace

std::string factory_pickle(const ClassifierFactory& f) {
  if (f.variable_importance_path)
    throw Error(ErrorKind::Unsupported, "re-encoding a classifier factory with a variable importance path");
  // Python 3 pickle.dumps(ParallelVigraRfLazyflowClassifierFactory(...), protocol=0), byte for
  // byte (ilp-format.md §6.1): old ilastik unpickles it, 1.4.1b16+ parses it with regexes.
  const std::string proportion = f.label_proportion ? "F" + python_float_str(*f.label_proportion) + "\n" : "N";
  return fmt::format(
      "ccopy_reg\n_reconstructor\np0\n(clazyflow.classifiers.parallelVigraRfLazyflowClassifier\n"
      "ParallelVigraRfLazyflowClassifierFactory\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n(dp5\nVVERSION\np6\nI2\n"
      "sV_num_trees\np7\nI{}\nsV_label_proportion\np8\n{}sV_variable_importance_path\np9\nNsV_variable_importance_"
      "enabled\np10\nI0{}\nsV_kwargs\np11\n(dp12\nsV_num_forests\np13\nI{}\nsb.",
      f.num_trees, proportion, f.variable_importance_enabled ? 1 : 0, f.num_forests);
}

void store_classifier(IlpTree& tree, const Classifier& c, const ClassifierFactory* factory) {
  Node& pc = tree.root->require_group("PixelClassification");
  auto g = Node::make_group(names::kClassifierForests);
  for (const auto& f : c.forests) g->add_child(forest_group(f));
  g->add_child(Node::make_dataset("known_labels", Value::from_vector(c.known_labels, {c.known_labels.size()})));
  if (c.feature_names)
    g->add_child(Node::make_dataset(
        "feature_names",
        Value::strings(*c.feature_names, {static_cast<std::uint64_t>(c.feature_names->size())}, StringForm::VarAscii)));
  g->add_child(Node::make_dataset(
      "pickled_type",
      Value::string("clazyflow.classifiers.parallelVigraRfLazyflowClassifier\nParallelVigraRfLazyflowClassifier\np0\n.",
                    StringForm::VarAscii)));
  pc.add_child(std::move(g));
  if (factory) pc.add_child(Node::make_dataset(names::kClassifierFactory, Value::string(factory_pickle(*factory))));
}

}  // namespace ilpkit
