// SPDX-License-Identifier: MIT
// Issue 6's "every command works on the whole corpus with the invariants above": each editing
// command on a copy of every corpus project. Where it edits, the dense labels of every lane and
// the forests (byte for byte) stay unless the command is meant to change them, and a second
// run writes nothing; where it refuses, the refusal is an ilpkit error of a user-facing kind
// (never an internal one, never a crash) and the copy is unchanged. Prints a table per command.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>

#include <fmt/format.h>

#include "corpus.hpp"
#include "forest_bytes.hpp"
#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "ilpkit/surgery.hpp"

using namespace ilpkit;
namespace fs = std::filesystem;

namespace {

using test::corpus_root;

std::string bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Each lane's dense labels, "" for lanes whose labels cannot be decoded.
std::vector<std::vector<std::uint8_t>> all_labels(const std::string& project) {
  const Project p = read_project(project);
  std::vector<std::vector<std::uint8_t>> out;
  for (std::size_t i = 0; i < p.lanes.size(); ++i) {
    try {
      out.push_back(decode_labels(p, i).data);
    } catch (const Error&) {
      out.emplace_back();
    }
  }
  return out;
}

struct Command {
  const char* name;
  std::function<EditReport(const std::string& project, const fs::path& dir)> run;
  bool keeps_labels = true;
  bool keeps_forests = true;
};

}  // namespace

TEST(CorpusSweep, EveryEditingCommandKeepsTheInvariants) {
  REQUIRE_CORPUS();
  const std::vector<Command> commands{
      {"compact", [](const std::string& p, const fs::path&) {
         CompactOptions o;
         o.compress = true;
         return compact(p, o);
       }},
      {"strip", [](const std::string& p, const fs::path&) { return compact(p); }},
      {"set-features (same)", [](const std::string& p, const fs::path&) { return set_features(p, feature_choices_of(p)); }},
      {"relink (re-express)", [](const std::string& p, const fs::path&) {
         RelinkOptions o;
         o.style = RelinkOptions::Style::Relative;
         return relink(p, o);
       }},
      {"embed", [](const std::string& p, const fs::path&) { return embed(p); }},
      {"extract", [](const std::string& p, const fs::path& dir) {
         ExtractOptions o;
         o.directory = (dir / "extracted").string();
         return extract(p, o);
       }},
      {"labels export+import", [](const std::string& p, const fs::path& dir) {
         const Project project = read_project(p);
         EditReport r;
         for (std::size_t lane = 0; lane < project.labels.size(); ++lane) {
           if (project.labels[lane].blocks.empty()) continue;
           const std::string out = (dir / fmt::format("labels{}.h5", lane)).string();
           export_labels(p, lane, out);
           r = import_labels(p, lane, out + "/labels");
           break;
         }
         return r;
       }},
  };
  std::map<std::string, std::map<std::string, int>> table;
  std::map<std::string, double> seconds;
  std::size_t projects = 0;
  for (const auto& e : fs::recursive_directory_iterator(corpus_root())) {
    if (e.path().extension() != ".ilp") continue;
    const std::string rel = fs::relative(e.path(), corpus_root()).string();
    try {
      read_project(e.path().string());
    } catch (const Error&) {
      continue;  // other workflows and unreadable files: the reader's own tests cover them
    }
    ++projects;
    const auto labels = all_labels(e.path().string());
    const auto forests = test::forest_bytes(e.path().string());
    for (const Command& c : commands) {
      SCOPED_TRACE(rel + ": " + c.name);
      const fs::path dir = fs::path(::testing::TempDir()) / fmt::format("ilpkit-sweep-{}", ::getpid());
      fs::remove_all(dir);
      fs::create_directories(dir);
      const std::string project = test::writable_copy(e.path(), dir).string();
      const std::string before_bytes = bytes_of(project);
      const auto start = std::chrono::steady_clock::now();
      try {
        const EditReport r = c.run(project, dir);
        if (!r.changed) {
          EXPECT_EQ(bytes_of(project), before_bytes) << "reported unchanged but written";
          table[c.name]["nothing to do"]++;
        } else {
          table[c.name]["edited"]++;
          if (c.keeps_labels) {
            EXPECT_EQ(all_labels(project), labels) << "labels changed";
          }
          if (c.keeps_forests && test::forest_bytes(project) != forests) {
            // Only a command that changes what the forests were trained on may drop them.
            EXPECT_TRUE(test::forest_bytes(project).empty()) << "forests changed instead of being dropped";
            table[c.name]["  of which dropped the stale forest"]++;
          }
          const std::string once = bytes_of(project);
          const EditReport again = c.run(project, dir);
          EXPECT_FALSE(again.changed && std::string(c.name) != "labels export+import") << "a second run changed it again";
          if (!again.changed) {
            EXPECT_EQ(bytes_of(project), once);
          }
        }
      } catch (const Error& err) {
        EXPECT_NE(err.kind(), ErrorKind::Internal) << err.what();
        EXPECT_EQ(bytes_of(project), before_bytes) << "refused but written: " << err.what();
        std::string code = err.detail().substr(0, err.detail().find(':'));
        if (code.size() > 24 || code.find(' ') != std::string::npos) code = to_string(err.kind());
        table[c.name]["refused: " + code]++;
      }
      const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      seconds[c.name] += took;
      if (took > 2.0) std::printf("slow: %s %s %.1f s\n", rel.c_str(), c.name, took);
      fs::remove_all(dir);
    }
  }
  EXPECT_GT(projects, 50u);
  std::printf("%zu Pixel Classification projects\n", projects);
  for (const auto& [command, outcomes] : table) {
    for (const auto& [what, n] : outcomes) std::printf("%-22s %-44s %d\n", command.c_str(), what.c_str(), n);
    std::printf("%-22s %-44s %.1f s\n", command.c_str(), "(time, both runs)", seconds[command]);
  }
}
