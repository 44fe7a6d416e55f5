// SPDX-License-Identifier: MIT
// ClassifierFactory (pickle, parsed never executed) and ClassifierForests (VIGRA RF2 groups).
// Mirrors: ilastik legacyClassifiers.py (factory allow-lists), lazyflow
// parallelVigraRfLazyflowClassifier.py (deserialize_hdf5), vigra random_forest_hdf5_impex.hxx.
#include "classifier.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "names.hpp"
#include "pickle.hpp"
#include "tree_access.hpp"

namespace ilpkit::classifier {

namespace {

constexpr const char* kFactoryModulePrefix = "lazyflow.classifiers.";
constexpr const char* kParallelFactory = "ParallelVigraRfLazyflowClassifierFactory";
constexpr const char* kVigraFactory = "VigraRfLazyflowClassifierFactory";
constexpr const char* kPixelwiseFactory = "VigraRfPixelwiseClassifierFactory";
constexpr const char* kSklearnFactory = "SklearnLazyflowClassifierFactory";

std::string pickle_bytes(const Value& v) {
  if (v.type() == ValueType::Opaque) return v.opaque_bytes();
  return v.text();
}

long long int_field(const pickle::Object& state, const char* key, bool required) {
  const pickle::Object* o = state.get(key);
  if (!o) {
    if (required) throw Error(ErrorKind::Format, fmt::format("field {} is missing", key));
    return 0;
  }
  if (o->kind == pickle::Object::Kind::Int) return o->integer;
  if (o->kind == pickle::Object::Kind::Bool) return o->boolean;
  throw Error(ErrorKind::Format, fmt::format("field {} is not an integer", key));
}

int positive_int(long long v, const char* what) {
  if (v < 1 || v > 1000000) throw Error(ErrorKind::Format, fmt::format("{} = {} is out of range", what, v));
  return static_cast<int>(v);
}

// Names stored by some projects as Python bytes reprs: "b'Gaussian Smoothing (\xcf\x83=0.3)'".
std::optional<std::string> decode_bytes_repr(const std::string& s) {
  if (s.size() < 3 || s[0] != 'b' || (s[1] != '\'' && s[1] != '"') || s.back() != s[1]) return std::nullopt;
  std::string out;
  for (std::size_t i = 2; i + 1 < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    char e = s[++i];
    switch (e) {
      case 'x': {
        if (i + 3 > s.size() - 1) return std::nullopt;
        auto hex = s.substr(i + 1, 2);
        char* end = nullptr;
        long v = std::strtol(hex.c_str(), &end, 16);
        if (end != hex.c_str() + 2) return std::nullopt;
        out += static_cast<char>(v);
        i += 2;
        break;
      }
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '\\': case '\'': case '"': out += e; break;
      default: return std::nullopt;
    }
  }
  return out;
}

Forest read_forest(const Node& g, const std::string& path) {
  Forest f;
  f.name = g.name();
  if (const Value* ver = g.attribute("vigra_random_forest_version"); ver && is_numeric(ver->type()) && ver->size() >= 1) {
    if (ver->number() > 0.1 + 1e-9)
      throw Error(ErrorKind::Unsupported,
                  fmt::format("vigra_random_forest_version {} is newer than 0.1, the only known layout", ver->number()));
  }
  if (const Node* opts = g.child(names::kOptions); opts && opts->is_group()) {
    for (const Node* c : opts->children())
      if (c->is_dataset() && c->loaded() && is_numeric(c->type()) && c->loaded_value().size() >= 1)
        f.options[c->name()] = c->loaded_value().number();
  }
  const Node* ext = g.child(names::kExtParam);
  if (!ext || !ext->is_group()) throw Error(ErrorKind::Format, "group '_ext_param' is missing");
  with_context("reading " + path + "/_ext_param", [&] {
    for (const Node* c : ext->children()) {
      if (!c->is_dataset() || !c->loaded() || !is_numeric(c->type())) continue;
      const Value& v = c->loaded_value();
      if (c->name() == "labels") {
        for (auto x : v.integers()) {
          if (x < 0 || x > 0xFFFFFFFFLL) throw Error(ErrorKind::Format, fmt::format("label value {} out of range", x));
          f.labels.push_back(static_cast<std::uint32_t>(x));
        }
      } else if (c->name() == "class_weights_") {
        f.class_weights = v.numbers();
      } else if (v.size() >= 1) {
        f.ext_param[c->name()] = v.number();
      }
    }
  });
  auto count = [&](const char* key) {
    auto it = f.ext_param.find(key);
    if (it == f.ext_param.end()) throw Error(ErrorKind::Format, fmt::format("_ext_param/{} is missing", key));
    double v = it->second;
    if (!(v >= 1 && v <= 1e7) || std::floor(v) != v)
      throw Error(ErrorKind::Format, fmt::format("_ext_param/{} = {} is not a positive count", key, v));
    return static_cast<int>(v);
  };
  f.column_count = count("column_count_");
  f.class_count = count("class_count_");
  if (!f.labels.empty() && static_cast<int>(f.labels.size()) != f.class_count)
    throw Error(ErrorKind::Format,
                fmt::format("_ext_param/labels has {} entries for {} classes", f.labels.size(), f.class_count));
  for (const Node* c : g.children()) {
    if (!c->is_group() || c->name().empty() || c->name()[0] == '_') continue;
    with_context("reading " + path + "/" + c->name(), [&] {
      Tree t;
      t.name = c->name();
      for (auto x : access::required(*c, "topology").integers()) {
        if (x < INT32_MIN || x > INT32_MAX) throw Error(ErrorKind::Format, "topology value out of int32 range");
        t.topology.push_back(static_cast<std::int32_t>(x));
      }
      t.parameters = access::required(*c, "parameters").numbers();
      try {
        validate_tree(t, f.column_count, f.class_count);
      } catch (Error& e) {
        // validate_tree names the tree; the context already does.
        std::string prefix = t.name + ": ";
        if (e.detail().rfind(prefix, 0) == 0) throw Error(e.kind(), e.detail().substr(prefix.size()));
        throw;
      }
      f.trees.push_back(std::move(t));
    });
  }
  if (f.trees.empty()) throw Error(ErrorKind::Format, "forest has no trees");
  return f;
}

}  // namespace

ClassifierFactory parse_factory(const Node* pc, Diagnostics& d) {
  ClassifierFactory f;
  f.module = std::string(kFactoryModulePrefix) + "parallelVigraRfLazyflowClassifier";
  f.class_name = kParallelFactory;
  f.version = 2;
  const std::string where = "/" + (pc ? pc->name() : std::string(names::kPixelClassification)) + "/ClassifierFactory";
  const Node* node = pc ? pc->child(names::kClassifierFactory) : nullptr;
  if (!node) return f;
  f.stored = true;
  try {
    const Value& v = access::required(*pc, names::kClassifierFactory);
    auto parsed = pickle::parse(pickle_bytes(v));
    const pickle::Object& obj = *parsed.value;
    if (obj.kind != pickle::Object::Kind::Instance || !obj.cls || obj.cls->kind != pickle::Object::Kind::Global)
      throw Error(ErrorKind::Format, "the pickle is not an object of a named class");
    const std::string& module = obj.cls->module;
    const std::string& name = obj.cls->name;
    static const char* known[] = {kParallelFactory, kVigraFactory, kPixelwiseFactory, kSklearnFactory};
    if (module.rfind(kFactoryModulePrefix, 0) != 0 ||
        std::none_of(std::begin(known), std::end(known), [&](const char* k) { return name == k; }))
      throw Error(ErrorKind::Unsupported, fmt::format("unknown classifier factory {}.{}", module, name));
    if (!obj.state || obj.state->kind != pickle::Object::Kind::Dict)
      throw Error(ErrorKind::Format, "the factory has no field dictionary");
    const pickle::Object& st = *obj.state;
    ClassifierFactory out;
    out.stored = true;
    out.is_default = false;
    out.module = module;
    out.class_name = name;
    out.python2_pickle = parsed.python2_keys;
    out.version = static_cast<int>(int_field(st, "VERSION", true));
    if (name == kParallelFactory) {
      if (out.version != 2) throw Error(ErrorKind::Format, fmt::format("VERSION {} (ilastik expects 2)", out.version));
      out.num_trees = positive_int(int_field(st, "_num_trees", true), "_num_trees");
      out.num_forests = positive_int(int_field(st, "_num_forests", true), "_num_forests");
      out.variable_importance_enabled = int_field(st, "_variable_importance_enabled", false) != 0;
      if (const auto* lp = st.get("_label_proportion"); lp && lp->kind == pickle::Object::Kind::Float)
        out.label_proportion = lp->real;
      if (const auto* vp = st.get("_variable_importance_path"); vp && vp->kind == pickle::Object::Kind::String)
        out.variable_importance_path = vp->text;
    } else {
      if (out.version != 1) throw Error(ErrorKind::Format, fmt::format("VERSION {} (ilastik expects 1)", out.version));
      out.num_forests = 1;
      const auto* args = st.get("_args");
      if (args && args->kind == pickle::Object::Kind::Tuple && !args->items.empty() &&
          args->items[0]->kind == pickle::Object::Kind::Int)
        out.num_trees = positive_int(args->items[0]->integer, "tree count");
      if (name == kSklearnFactory) {
        if (const auto* ct = st.get("_classifier_type"); ct && ct->kind == pickle::Object::Kind::Global)
          out.sklearn_type = ct->text;
        warn(d, where, "scikit-learn classifier factory: ilpkit trains VIGRA random forests only");
      }
    }
    if (out.python2_pickle)
      warn(d, where, "Python-2 pickle (S'...' keys): ilastik ≥ 1.4.1b16 ignores it and uses its default factory");
    return out;
  } catch (const Error& e) {
    f.fallback_reason = e.detail();
    warn(d, where, fmt::format("unreadable ({}); ilastik's default is used: {} trees", e.detail(), f.num_trees));
    return f;
  }
}

std::optional<Classifier> parse_classifier(const Node* pc, Diagnostics& d) {
  const Node* g = pc ? pc->child(names::kClassifierForests) : nullptr;
  if (!g) return std::nullopt;
  if (!g->is_group()) throw Error(ErrorKind::Format, "ClassifierForests is not a group");
  const std::string base = "/" + pc->name() + "/ClassifierForests";
  return with_context("reading " + base, [&]() -> std::optional<Classifier> {
    Classifier c;
    c.type = "ParallelVigraRfLazyflowClassifier";  // assumed when pickled_type is absent (≤ 2014)
    if (const Value* pt = access::dataset(*g, names::kPickledType)) {
      try {
        auto parsed = pickle::parse(pickle_bytes(*pt));
        if (parsed.value->kind != pickle::Object::Kind::Global)
          throw Error(ErrorKind::Format, "not a class reference");
        c.type = parsed.value->name;
      } catch (const Error& e) {
        throw Error(ErrorKind::Format, fmt::format("pickled_type: {}", e.detail()));
      }
    }
    if (c.type == "SklearnLazyflowClassifier") {
      warn(d, base,
           "scikit-learn classifier stored as a Python pickle: ilpkit cannot apply it");
      return c;
    }
    if (c.type != "ParallelVigraRfLazyflowClassifier" && c.type != "VigraRfLazyflowClassifier")
      throw Error(ErrorKind::Unsupported, fmt::format("classifier type '{}' is not supported", c.type));
    for (const Node* child : g->children()) {
      if (!child->is_group()) continue;
      if (child->name().rfind("Forest", 0) != 0 && child->name() != "forest") continue;
      std::string path = base + "/" + child->name();
      c.forests.push_back(with_context("reading " + path, [&] { return read_forest(*child, path); }));
    }
    if (c.forests.empty()) throw Error(ErrorKind::Format, "no Forest groups");
    for (const auto& f : c.forests) {
      if (f.column_count != c.forests.front().column_count)
        throw Error(ErrorKind::Format, fmt::format("{} expects {} features, {} expects {}", f.name, f.column_count,
                                                   c.forests.front().name, c.forests.front().column_count));
      if (f.labels != c.forests.front().labels)
        throw Error(ErrorKind::Format, fmt::format("{} and {} know different labels", f.name, c.forests.front().name));
    }
    if (const Value* kl = access::dataset(*g, names::kKnownLabels)) {
      for (auto x : with_context("known_labels", [&] { return kl->integers(); })) {
        if (x < 1 || x > 255) throw Error(ErrorKind::Format, fmt::format("known_labels: label value {} out of range", x));
        c.known_labels.push_back(static_cast<std::uint32_t>(x));
      }
      c.known_labels_stored = true;
    } else {
      // ParallelVigraRfLazyflowClassifier.deserialize_hdf5: 1..labelCount of the first forest.
      for (int k = 1; k <= c.forests.front().class_count; ++k) c.known_labels.push_back(static_cast<std::uint32_t>(k));
    }
    if (static_cast<int>(c.known_labels.size()) != c.forests.front().class_count)
      throw Error(ErrorKind::Format, fmt::format("known_labels has {} entries, the forests {} classes",
                                                 c.known_labels.size(), c.forests.front().class_count));
    if (g->child(names::kFeatureNames)) {
      auto names_stored = access::string_list(*g, names::kFeatureNames);
      bool all_reprs = !names_stored.empty();
      std::vector<std::string> decoded;
      for (const auto& n : names_stored) {
        auto r = decode_bytes_repr(n);
        if (!r) {
          all_reprs = false;
          break;
        }
        decoded.push_back(*r);
      }
      if (all_reprs) {
        c.feature_names = decoded;
        c.feature_names_were_bytes_reprs = true;
        note(d, base + "/feature_names", "stored as Python bytes reprs b'...'; decoded");
      } else {
        c.feature_names = names_stored;
      }
    }
    return c;
  });
}

}  // namespace ilpkit::classifier
