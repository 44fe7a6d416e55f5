// SPDX-License-Identifier: MIT
// ilpkit command line: wires the subcommands and maps errors to exit codes and one line.
#include <csignal>
#include <exception>
#include <iostream>

#include "commands.hpp"
#include "report.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/parallel.hpp"
#include "ilpkit/version.hpp"

namespace {

// The first SIGINT/SIGTERM asks the work to stop at the next block, so writers remove their
// temporary files and the process exits 130 with one line; a second one kills at once.
extern "C" void on_stop_signal(int sig) {
  ilpkit::request_stop();
  std::signal(sig, SIG_DFL);
}

// One line on stderr, as text or as a JSON event; returns the exit code.
int fail(int code, const std::string& message) {
  using namespace ilpkit::cli;
  log_to_file("ilpkit: error: " + message);
  if (current_log_format() == LogFormat::Json)
    emit_json({{"event", "error"}, {"message", message}, {"exit_code", code}});
  else
    std::cerr << "ilpkit: error: " << message << '\n';
  return code;
}

}  // namespace

int& ilpkit::cli::completed_exit_code() {
  static int code = kExitOk;
  return code;
}

int main(int argc, char** argv) {
  using namespace ilpkit::cli;
  using ilpkit::cli::LogFormat;
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  CLI::App app{"ilpkit: run, retrain, inspect and repair ilastik Pixel Classification projects without ilastik"};
  app.set_version_flag("--version", std::string("ilpkit ") + ilpkit::kVersionString);
  app.require_subcommand(1);
  register_inspect(app);
  register_run(app);
  register_train(app);
  register_validate(app);
  register_set_features(app);
  register_relink(app);
  register_embed(app);
  register_compact(app);
  register_labels(app);
  register_migrate(app);
  register_steinbock_fix(app);
  // Parse errors are reported in the format asked for, so look for it before parsing.
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--log-format=json" || a == "--log_format=json" ||
        ((a == "--log-format" || a == "--log_format") && i + 1 < argc && std::string(argv[i + 1]) == "json"))
      current_log_format() = LogFormat::Json;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ExtrasError&) {
    // CLI11 names the extras only in its message; collect them from argv instead.
    const std::string sub = argc > 1 ? argv[1] : "";
    std::vector<std::string> unknown;
    if (const CLI::App* s = app.get_subcommands().empty() ? nullptr : app.get_subcommands().front())
      unknown = s->remaining();
    if (unknown.empty()) unknown = app.remaining();
    return fail(kExitUsage, describe_unknown_arguments(app, sub, unknown));
  } catch (const CLI::ParseError& e) {
    if (current_log_format() == LogFormat::Json && e.get_exit_code() != 0) return fail(kExitUsage, e.what());
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  } catch (const ilpkit::Error& e) {
    switch (e.kind()) {
      case ilpkit::ErrorKind::Usage: return fail(kExitUsage, e.what());
      case ilpkit::ErrorKind::Unsupported: return fail(kExitUnsupported, e.what());
      case ilpkit::ErrorKind::Io: return fail(kExitIo, e.what());
      case ilpkit::ErrorKind::Format: return fail(kExitFormat, e.what());
      case ilpkit::ErrorKind::Internal: return fail(kExitInternal, e.what());
      case ilpkit::ErrorKind::Interrupted: return fail(kExitInterrupted, e.what());
    }
  } catch (const std::bad_alloc&) {
    return fail(kExitInternal, "out of memory");
  } catch (const std::exception& e) {
    return fail(kExitInternal, std::string("internal error: ") + e.what());
  }
  return completed_exit_code();
}
