// SPDX-License-Identifier: MIT
// A surgery command killed with SIGKILL in the middle of writing (issue 6: "interrupted writes
// leave the original intact"): the project is byte for byte what it was, and the next run
// finishes and removes the temporary files the killed one left.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <thread>

#include "hdf5.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/surgery.hpp"
#include "minimal_project.hpp"
#include "shell.hpp"

using namespace ilpkit;
namespace fs = std::filesystem;

namespace {

std::string bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

std::size_t temporaries(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().filename().string().find(".ilpkit-") != std::string::npos;
  return n;
}

}  // namespace

TEST(InterruptedWrite, KillDuringEmbedLeavesTheProjectIntact) {
  // The lane's data: 64 MB of noise, so that writing it compressed takes long enough to be hit.
  constexpr std::uint64_t kY = 4096, kX = 16384;
  const std::string project = test::minimal_project_copy("interrupted", {"", "", [](IlpTree& tree) {
    Node& raw = *tree.root->find("Input Data/infos/lane0000/Raw Data");
    raw.add_child(Node::make_dataset("filePath", Value::string("big.h5/data")));
    raw.add_child(Node::make_dataset("shape", Value::from_vector(std::vector<std::int64_t>{kY, kX}, {2})));
  }});
  const fs::path dir = fs::path(project).parent_path();
  {
    std::vector<std::uint8_t> noise(kY * kX);
    std::mt19937_64 rng(7);
    for (std::size_t i = 0; i < noise.size(); i += 8) {
      const std::uint64_t r = rng();
      std::memcpy(&noise[i], &r, 8);
    }
    auto f = hdf5::File::create((dir / "big.h5").string());
    hdf5::write_dataset(f.id(), "data", Value::from_vector(noise, {kY, kX}));
  }
  const std::string before = bytes_of(project);

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::freopen("/dev/null", "w", stdout);
    std::freopen("/dev/null", "w", stderr);
    ::execl(ILPKIT_EXE, "ilpkit", "embed", project.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  // Kill it as soon as its temporary file appears, that is, while it writes.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (temporaries(dir) == 0 && std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(child, &status, WNOHANG) == child) FAIL() << "embed finished before it could be interrupted";
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "embed was not interrupted (exit " << WEXITSTATUS(status) << ")";

  EXPECT_EQ(bytes_of(project), before) << "the project changed";
  EXPECT_GT(temporaries(dir), 0u) << "nothing of the killed write is left to clean up";
  EXPECT_EQ(read_project(project).lanes[0].raw->location, DataLocation::FileSystem);

  // The next run finishes and leaves no temporary file behind.
  EXPECT_EQ(test::run_exit_code(std::string(ILPKIT_EXE) + " embed --no-backup " + test::shell_quote(project)), 0);
  EXPECT_EQ(temporaries(dir), 0u);
  EXPECT_EQ(read_project(project).lanes[0].raw->location, DataLocation::ProjectInternal);
  fs::remove_all(dir);
}

// Only temporary files of ilpkit processes that are gone are removed; other names that look
// alike (a live process's, an overlong number) stay, and none of them stops the edit.
TEST(InterruptedWrite, OnlyDeadProcessesTemporariesAreRemoved) {
  const std::string project = test::minimal_project_copy("abandoned");
  const fs::path dir = fs::path(project).parent_path();
  const pid_t dead = ::fork();
  ASSERT_GE(dead, 0);
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  const std::vector<std::string> gone{".project.ilp.ilpkit-" + std::to_string(dead) + ".new",
                                      "..project.ilp.ilpkit-" + std::to_string(dead) + ".new.tmp-" + std::to_string(dead) + "-0"};
  const std::vector<std::string> kept{".project.ilp.ilpkit-" + std::to_string(::getppid()) + ".new",  // alive
                                      ".project.ilp.ilpkit-99999999999999999999.new", ".other.ilp.ilpkit-" + std::to_string(dead) + ".new"};
  for (const auto& name : gone) std::ofstream(dir / name) << "x";
  for (const auto& name : kept) std::ofstream(dir / name) << "x";
  CompactOptions o;
  o.compress = true;
  compact(project, o);  // stages a rewrite, whether or not it keeps it
  for (const auto& name : gone) EXPECT_FALSE(fs::exists(dir / name)) << name;
  for (const auto& name : kept) EXPECT_TRUE(fs::exists(dir / name)) << name;
  fs::remove_all(dir);
}
