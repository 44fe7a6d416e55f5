// SPDX-License-Identifier: MIT
#include "ilpkit/error.hpp"

namespace ilpkit {

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::Usage: return "usage";
    case ErrorKind::Io: return "io";
    case ErrorKind::Format: return "format";
    case ErrorKind::Unsupported: return "unsupported";
    case ErrorKind::Internal: return "internal";
    case ErrorKind::Interrupted: return "interrupted";
  }
  return "unknown";
}

Error::Error(ErrorKind kind, std::string message)
    : std::runtime_error(message), kind_(kind), detail_(std::move(message)) {
  rebuild();
}

Error& Error::add_context(std::string context) {
  // "reading /A" adds nothing in front of "reading /A/B".
  bool redundant = !context_.empty() && context_.front().size() > context.size() &&
                   context_.front().compare(0, context.size(), context) == 0 &&
                   context_.front()[context.size()] == '/';
  if (!context.empty() && !redundant) context_.insert(context_.begin(), std::move(context));
  rebuild();
  return *this;
}

void Error::rebuild() {
  full_.clear();
  for (const auto& c : context_) {
    full_ += c;
    full_ += ": ";
  }
  full_ += detail_;
}

void throw_error(ErrorKind kind, std::string message) { throw Error(kind, std::move(message)); }

}  // namespace ilpkit
