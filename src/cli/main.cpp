// SPDX-License-Identifier: MIT
// ilpkit command line: wires the subcommands and maps errors to exit codes and one line.
#include <csignal>
#include <exception>
#include <iostream>

#include "commands.hpp"
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

}  // namespace

int main(int argc, char** argv) {
  using namespace ilpkit::cli;
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  CLI::App app{"ilpkit: run, retrain, inspect and repair ilastik Pixel Classification projects without ilastik"};
  app.set_version_flag("--version", std::string("ilpkit ") + ilpkit::kVersionString);
  app.require_subcommand(1);
  register_inspect(app);
  register_run(app);
  register_train(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  } catch (const ilpkit::Error& e) {
    std::cerr << "ilpkit: error: " << e.what() << '\n';
    switch (e.kind()) {
      case ilpkit::ErrorKind::Usage: return kExitUsage;
      case ilpkit::ErrorKind::Unsupported: return kExitUnsupported;
      case ilpkit::ErrorKind::Io: return kExitIo;
      case ilpkit::ErrorKind::Format: return kExitFormat;
      case ilpkit::ErrorKind::Internal: return kExitInternal;
      case ilpkit::ErrorKind::Interrupted: return kExitInterrupted;
    }
  } catch (const std::bad_alloc&) {
    std::cerr << "ilpkit: error: out of memory\n";
    return kExitInternal;
  } catch (const std::exception& e) {
    std::cerr << "ilpkit: internal error: " << e.what() << '\n';
    return kExitInternal;
  }
  return kExitOk;
}
