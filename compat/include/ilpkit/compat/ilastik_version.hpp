// SPDX-License-Identifier: MIT
// ilastik version strings ("0.6", "1.2.0rc10", "1.3.3post3", "1.4.0b30.dev12+gbbb56faef.d20220619",
// "1.4.0.post1") parsed into a value ordered like Python's packaging.version (PEP 440), which is
// what ilastik itself uses for its label-format decisions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ilpkit::compat {

class IlastikVersion {
 public:
  enum class Pre { Alpha = 0, Beta = 1, Rc = 2 };

  /// Parses a PEP 440 version; throws Error(Format) with the offending text.
  static IlastikVersion parse(std::string_view text);
  /// ilastik 0.5 and 2012-era 0.6 files store the version as a float.
  static IlastikVersion from_float(double value);

  const std::string& text() const noexcept { return text_; }
  const std::vector<long>& release() const noexcept { return release_; }
  long major() const noexcept { return release_.empty() ? 0 : release_[0]; }
  long minor() const noexcept { return release_.size() > 1 ? release_[1] : 0; }
  std::optional<std::pair<Pre, long>> pre() const noexcept { return pre_; }
  std::optional<long> post() const noexcept { return post_; }
  std::optional<long> dev() const noexcept { return dev_; }
  const std::string& local() const noexcept { return local_; }

  /// <0, 0, >0 as in PEP 440 ordering.
  int compare(const IlastikVersion& other) const;

  /// Normalized form ("1.3.3.post3"), for messages.
  std::string normalized() const;

 private:
  std::string text_;
  long epoch_ = 0;
  std::vector<long> release_;
  std::optional<std::pair<Pre, long>> pre_;
  std::optional<long> post_;
  std::optional<long> dev_;
  std::string local_;
};

inline bool operator<(const IlastikVersion& a, const IlastikVersion& b) { return a.compare(b) < 0; }
inline bool operator<=(const IlastikVersion& a, const IlastikVersion& b) { return a.compare(b) <= 0; }
inline bool operator>(const IlastikVersion& a, const IlastikVersion& b) { return a.compare(b) > 0; }
inline bool operator>=(const IlastikVersion& a, const IlastikVersion& b) { return a.compare(b) >= 0; }
inline bool operator==(const IlastikVersion& a, const IlastikVersion& b) { return a.compare(b) == 0; }
inline bool operator!=(const IlastikVersion& a, const IlastikVersion& b) { return a.compare(b) != 0; }

/// Shorthand for IlastikVersion::parse on a literal known to be valid.
IlastikVersion version(std::string_view text);

/// ilastik's isVersionCompatible: both major.minor in {0.6, 1.0 ... 1.5}.
bool is_openable_by_current_ilastik(const IlastikVersion& v);

}  // namespace ilpkit::compat
