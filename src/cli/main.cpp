// SPDX-License-Identifier: MIT
// ilpkit command line: wires the subcommands and maps errors to exit codes and one line.
#include <exception>
#include <iostream>

#include "commands.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/version.hpp"

int main(int argc, char** argv) {
  using namespace ilpkit::cli;
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
