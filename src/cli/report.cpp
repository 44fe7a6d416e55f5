// SPDX-License-Identifier: MIT
#include "report.hpp"

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <iostream>

#include <fmt/format.h>

#include "ilpkit/error.hpp"

namespace ilpkit::cli {

LogFormat parse_log_format(const std::string& name) {
  if (name == "text") return LogFormat::Text;
  if (name == "json") return LogFormat::Json;
  throw Error(ErrorKind::Usage, fmt::format("--log-format '{}': expected text or json", name));
}

LogFormat& current_log_format() {
  static LogFormat format = LogFormat::Text;
  return format;
}

namespace {
std::FILE*& log_file() {
  static std::FILE* f = nullptr;
  return f;
}
}  // namespace

void set_log_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (!f) throw Error(ErrorKind::Io, fmt::format("--logfile {}: cannot open it for writing", path));
  log_file() = f;
}

void log_to_file(const std::string& line) {
  std::FILE* f = log_file();
  if (!f) return;
  const std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", std::localtime(&now));
  std::fprintf(f, "%s %s\n", stamp, line.c_str());
  std::fflush(f);
}

void emit_json(const nlohmann::json& event) {
  const std::string line = event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

Reporter::Reporter(LogFormat format, bool quiet, bool force_progress) : format_(format), quiet_(quiet) {
  if (quiet) return;
  if (format == LogFormat::Json)
    progress_mode_ = Progress::Json;
  else if (::isatty(STDERR_FILENO))
    progress_mode_ = Progress::Terminal;
  else if (force_progress)
    progress_mode_ = Progress::Lines;
}

void Reporter::message(const std::string& text, const nlohmann::json& event) const {
  log_to_file(text);
  if (format_ == LogFormat::Json)
    emit_json(event);
  else if (!quiet_)
    std::cerr << text << '\n';
}

void Reporter::progress(const std::string& input, std::size_t index, std::size_t count, std::size_t done,
                        std::size_t total) {
  if (progress_mode_ == Progress::None || total == 0) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - input_start_).count();
  const bool last = done == total;
  const int tenth = static_cast<int>(10 * done / total);
  // A terminal redraws at most 10 times a second; JSON once a second; lines at each 10 %.
  const double gap = progress_mode_ == Progress::Terminal ? 0.1 : 1.0;
  if (progress_mode_ == Progress::Lines) {
    if (tenth == last_tenth_ && !last) return;
    last_tenth_ = tenth;
  } else if (!last && last_ != std::chrono::steady_clock::time_point{} &&
             std::chrono::duration<double>(now - last_).count() < gap) {
    return;
  }
  last_ = now;
  const double eta = done > 0 ? elapsed * static_cast<double>(total - done) / static_cast<double>(done) : 0.0;
  switch (progress_mode_) {
    case Progress::Json:
      emit_json({{"event", "progress"}, {"input", input}, {"index", index}, {"inputs", count}, {"blocks_done", done},
                 {"blocks", total}, {"seconds", elapsed}});
      break;
    case Progress::Terminal:
      std::fprintf(stderr, "\r\033[K%s [%zu/%zu]: %3d %% (%zu/%zu blocks, %.1f s, ~%.0f s left)", input.c_str(), index + 1,
                   count, static_cast<int>(100 * done / total), done, total, elapsed, eta);
      if (last) std::fputc('\n', stderr);
      break;
    case Progress::Lines:
      std::fprintf(stderr, "%s [%zu/%zu]: %d %% (%zu/%zu blocks, %.1f s)\n", input.c_str(), index + 1, count,
                   static_cast<int>(100 * done / total), done, total, elapsed);
      break;
    case Progress::None: break;
  }
  std::fflush(stderr);
}

}  // namespace ilpkit::cli
