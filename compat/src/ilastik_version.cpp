// SPDX-License-Identifier: MIT
// Mirrors: packaging.version.Version (PEP 440) as used by ilastik's project loader.
#include "ilpkit/compat/ilastik_version.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "ilpkit/error.hpp"

namespace ilpkit::compat {

namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view s) : s_(s) {}
  bool done() const { return i_ >= s_.size(); }
  char peek(std::size_t k = 0) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }
  void skip(std::size_t n = 1) { i_ += n; }
  std::size_t pos() const { return i_; }
  void set(std::size_t p) { i_ = p; }
  bool digit() const { return std::isdigit(static_cast<unsigned char>(peek())) != 0; }
  long number() {
    long v = 0;
    std::size_t start = i_;
    while (digit()) {
      if (v > 100000000L) throw Error(ErrorKind::Format, "version component too large");
      v = v * 10 + (peek() - '0');
      skip();
    }
    if (i_ == start) throw Error(ErrorKind::Format, "expected a number");
    return v;
  }
  bool word(std::string_view w) {
    if (s_.size() - i_ < w.size()) return false;
    for (std::size_t k = 0; k < w.size(); ++k)
      if (std::tolower(static_cast<unsigned char>(s_[i_ + k])) != w[k]) return false;
    i_ += w.size();
    return true;
  }
  void separator() {
    if (peek() == '.' || peek() == '-' || peek() == '_') skip();
  }
  std::string_view rest() const { return s_.substr(i_); }

 private:
  std::string_view s_;
  std::size_t i_ = 0;
};

// Local segments: numbers compare numerically and sort after strings (PEP 440).
int compare_local(const std::string& a, const std::string& b) {
  auto split = [](const std::string& s) {
    std::vector<std::string> parts;
    std::string cur;
    for (char ch : s) {
      if (ch == '.' || ch == '-' || ch == '_') {
        parts.push_back(cur);
        cur.clear();
      } else {
        cur += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      }
    }
    if (!s.empty()) parts.push_back(cur);
    return parts;
  };
  auto is_num = [](const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
  };
  auto pa = split(a), pb = split(b);
  for (std::size_t i = 0; i < std::min(pa.size(), pb.size()); ++i) {
    bool na = is_num(pa[i]), nb = is_num(pb[i]);
    if (na && nb) {
      auto ta = pa[i].substr(std::min(pa[i].find_first_not_of('0'), pa[i].size()));
      auto tb = pb[i].substr(std::min(pb[i].find_first_not_of('0'), pb[i].size()));
      if (ta.size() != tb.size()) return ta.size() < tb.size() ? -1 : 1;
      if (ta != tb) return ta < tb ? -1 : 1;
    } else if (na != nb) {
      return na ? 1 : -1;
    } else if (pa[i] != pb[i]) {
      return pa[i] < pb[i] ? -1 : 1;
    }
  }
  if (pa.size() != pb.size()) return pa.size() < pb.size() ? -1 : 1;
  return 0;
}

template <class T>
int cmp(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

}  // namespace

IlastikVersion IlastikVersion::parse(std::string_view text) {
  IlastikVersion v;
  v.text_ = std::string(text);
  // Trim surrounding whitespace and NUL padding.
  while (!text.empty() && (std::isspace(static_cast<unsigned char>(text.back())) || text.back() == '\0'))
    text.remove_suffix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  auto fail = [&](const std::string& why) -> Error {
    return Error(ErrorKind::Format, fmt::format("cannot parse ilastik version '{}': {}", v.text_, why));
  };
  if (text.empty()) throw fail("empty");
  Scanner sc(text);
  try {
    if (sc.peek() == 'v' || sc.peek() == 'V') sc.skip();
    if (!sc.digit()) throw fail("does not start with a number");
    long first = sc.number();
    if (sc.peek() == '!') {
      v.epoch_ = first;
      sc.skip();
      first = sc.number();
    }
    v.release_.push_back(first);
    while (sc.peek() == '.' && std::isdigit(static_cast<unsigned char>(sc.peek(1)))) {
      sc.skip();
      v.release_.push_back(sc.number());
    }
    // pre-release
    {
      std::size_t save = sc.pos();
      sc.separator();
      std::optional<Pre> kind;
      if (sc.word("alpha")) kind = Pre::Alpha;
      else if (sc.word("beta")) kind = Pre::Beta;
      else if (sc.word("preview")) kind = Pre::Rc;
      else if (sc.word("pre")) kind = Pre::Rc;
      else if (sc.word("rc")) kind = Pre::Rc;
      else if (sc.word("a")) kind = Pre::Alpha;
      else if (sc.word("b")) kind = Pre::Beta;
      else if (sc.word("c")) kind = Pre::Rc;
      if (kind) {
        std::size_t before = sc.pos();
        sc.separator();
        long n = 0;
        if (sc.digit()) n = sc.number();
        else sc.set(before);
        v.pre_ = std::make_pair(*kind, n);
      } else {
        sc.set(save);
      }
    }
    // post-release
    {
      std::size_t save = sc.pos();
      if (sc.peek() == '-' && std::isdigit(static_cast<unsigned char>(sc.peek(1)))) {
        sc.skip();
        v.post_ = sc.number();
      } else {
        sc.separator();
        if (sc.word("post") || sc.word("rev") || sc.word("r")) {
          std::size_t before = sc.pos();
          sc.separator();
          if (sc.digit()) v.post_ = sc.number();
          else {
            sc.set(before);
            v.post_ = 0;
          }
        } else {
          sc.set(save);
        }
      }
    }
    // dev-release
    {
      std::size_t save = sc.pos();
      sc.separator();
      if (sc.word("dev")) {
        std::size_t before = sc.pos();
        sc.separator();
        if (sc.digit()) v.dev_ = sc.number();
        else {
          sc.set(before);
          v.dev_ = 0;
        }
      } else {
        sc.set(save);
      }
    }
    if (sc.peek() == '+') {
      sc.skip();
      auto local = sc.rest();
      if (local.empty()) throw fail("empty local version after '+'");
      for (char ch : local)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-' && ch != '_')
          throw fail(fmt::format("unexpected character '{}' in local version", ch));
      v.local_ = std::string(local);
      sc.skip(local.size());
    }
    if (!sc.done()) throw fail(fmt::format("unexpected text '{}'", sc.rest()));
  } catch (Error& e) {
    if (e.detail().rfind("cannot parse", 0) == 0) throw;
    throw fail(e.detail());
  }
  return v;
}

IlastikVersion IlastikVersion::from_float(double value) {
  if (!std::isfinite(value) || value < 0 || value > 1000)
    throw Error(ErrorKind::Format, fmt::format("cannot interpret ilastik version number {}", value));
  // 0.5 and 0.6 are stored as float64; one decimal is what those releases wrote.
  return parse(fmt::format("{:.1f}", value));
}

int IlastikVersion::compare(const IlastikVersion& o) const {
  if (int c = cmp(epoch_, o.epoch_)) return c;
  auto trimmed = [](std::vector<long> r) {
    while (r.size() > 1 && r.back() == 0) r.pop_back();
    return r;
  };
  if (int c = cmp(trimmed(release_), trimmed(o.release_))) return c;
  // Pre-release key: a dev-only release sorts before every pre-release; a final release after.
  constexpr long kMinus = std::numeric_limits<long>::min(), kPlus = std::numeric_limits<long>::max();
  auto pre_key = [&](const IlastikVersion& x) -> std::pair<long, long> {
    if (!x.pre_ && !x.post_ && x.dev_) return {kMinus, 0};
    if (!x.pre_) return {kPlus, 0};
    return {static_cast<long>(x.pre_->first), x.pre_->second};
  };
  if (int c = cmp(pre_key(*this), pre_key(o))) return c;
  auto post_key = [&](const IlastikVersion& x) { return x.post_ ? *x.post_ : kMinus; };
  if (int c = cmp(post_key(*this), post_key(o))) return c;
  auto dev_key = [&](const IlastikVersion& x) { return x.dev_ ? *x.dev_ : kPlus; };
  if (int c = cmp(dev_key(*this), dev_key(o))) return c;
  if (local_.empty() != o.local_.empty()) return local_.empty() ? -1 : 1;
  return compare_local(local_, o.local_);
}

std::string IlastikVersion::normalized() const {
  std::string s;
  if (epoch_) s += fmt::format("{}!", epoch_);
  s += fmt::format("{}", fmt::join(release_, "."));
  if (pre_) s += fmt::format("{}{}", pre_->first == Pre::Alpha ? "a" : pre_->first == Pre::Beta ? "b" : "rc", pre_->second);
  if (post_) s += fmt::format(".post{}", *post_);
  if (dev_) s += fmt::format(".dev{}", *dev_);
  if (!local_.empty()) s += "+" + local_;
  return s;
}

IlastikVersion version(std::string_view text) { return IlastikVersion::parse(text); }

bool is_openable_by_current_ilastik(const IlastikVersion& v) {
  auto mm = std::make_pair(v.major(), v.minor());
  return mm == std::make_pair(0L, 6L) || (v.major() == 1 && v.minor() >= 0 && v.minor() <= 5);
}

}  // namespace ilpkit::compat
