// SPDX-License-Identifier: MIT
// What `ilpkit run` tells the user while it works: a progress line on a terminal (none when
// piped unless --progress, then a line per 10 %), or JSON lines with --log-format=json, one
// object per event, for pipelines that parse them.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace ilpkit::cli {

enum class LogFormat { Text, Json };

/// --log-format: "text" or "json"; throws Error(Usage).
LogFormat parse_log_format(const std::string& name);

/// The process's log format, so that main() reports a failure in the same form.
LogFormat& current_log_format();

/// One JSON object per line on stderr.
void emit_json(const nlohmann::json& event);

/// ilastik's --logfile: every message and error line is also appended to `path`, with a time
/// stamp. Throws Error(Io) when the file cannot be opened.
void set_log_file(const std::string& path);
/// Appends `line` to the log file, if any.
void log_to_file(const std::string& line);

class Reporter {
 public:
  Reporter(LogFormat format, bool quiet, bool force_progress);

  void message(const std::string& text, const nlohmann::json& event) const;  ///< a summary line / event
  /// Progress of input `index` (0-based) of `count`: `done` of `total` blocks.
  void progress(const std::string& input, std::size_t index, std::size_t count, std::size_t done, std::size_t total);
  bool shows_progress() const { return progress_mode_ != Progress::None; }
  void start_input() { input_start_ = std::chrono::steady_clock::now(), last_ = {}, last_tenth_ = -1; }

 private:
  enum class Progress { None, Terminal, Lines, Json };
  LogFormat format_;
  bool quiet_;
  Progress progress_mode_ = Progress::None;
  std::chrono::steady_clock::time_point input_start_{}, last_{};
  int last_tenth_ = -1;
};

}  // namespace ilpkit::cli
