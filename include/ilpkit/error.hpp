// SPDX-License-Identifier: MIT
// The one exception family of ilpkit. Every layer adds context on the way out, so the final
// message reads like a path: "reading /PixelClassification/LabelSets/labels000/block0003:
// attribute blockSlice is missing". The library never prints; the CLI maps Kind to exit codes.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace ilpkit {

enum class ErrorKind {
  Usage,        ///< bad command line or API arguments
  Io,           ///< file missing, unreadable or unwritable
  Format,       ///< the file is not what it claims to be (not a project, malformed data)
  Unsupported,  ///< a valid file that ilpkit does not handle (other workflow, 0.5 format, ...)
  Internal,     ///< a broken invariant inside ilpkit
  Interrupted,  ///< stopped on request (SIGINT/SIGTERM); outputs were not committed
};

const char* to_string(ErrorKind kind) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, std::string message);

  ErrorKind kind() const noexcept { return kind_; }
  /// The innermost message, without context.
  const std::string& detail() const noexcept { return detail_; }
  /// Context entries, outermost first.
  const std::vector<std::string>& context() const noexcept { return context_; }

  /// Prepends a context entry ("reading /FeatureSelections") and returns *this for rethrowing.
  Error& add_context(std::string context);

  const char* what() const noexcept override { return full_.c_str(); }

 private:
  void rebuild();

  ErrorKind kind_;
  std::string detail_;
  std::vector<std::string> context_;
  std::string full_;
};

[[noreturn]] void throw_error(ErrorKind kind, std::string message);

/// Runs fn(); any ilpkit::Error escaping it gets `context` prepended.
template <class Fn>
decltype(auto) with_context(const std::string& context, Fn&& fn) {
  try {
    return std::forward<Fn>(fn)();
  } catch (Error& e) {
    e.add_context(context);
    throw;
  }
}

}  // namespace ilpkit
