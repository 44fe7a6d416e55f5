// SPDX-License-Identifier: MIT
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "paths.hpp"

using namespace ilpkit::paths;
namespace fs = std::filesystem;

TEST(Paths, SplitsInternalPathLikePathComponents) {
  EXPECT_EQ(split_internal_path("data/coins.h5/data"), (std::pair<std::string, std::string>{"data/coins.h5", "/data"}));
  EXPECT_EQ(split_internal_path("/abs/vol.hdf5/volume/raw").second, "/volume/raw");
  EXPECT_EQ(split_internal_path("img.tif"), (std::pair<std::string, std::string>{"img.tif", ""}));
  EXPECT_EQ(split_internal_path("a.n5/volumes/raw").first, "a.n5");
  // ilastik splits at the largest first-occurrence index over the extensions, so a folder
  // named like a container wins when it comes later than the file's own extension.
  EXPECT_EQ(split_internal_path("x.h5dir/stack.hdf5/data").first, "x.h5dir/stack.hdf5");
}

TEST(Paths, RecognizesWindowsPaths) {
  EXPECT_TRUE(is_windows_absolute("C:/conda/data.h5"));
  EXPECT_TRUE(is_windows_absolute("Y:\\server\\x.h5"));
  EXPECT_TRUE(is_windows_absolute("\\\\server\\share\\x.h5"));
  EXPECT_FALSE(is_windows_absolute("data/x.h5"));
  auto r = resolve("Y:\\server_homes\\crops\\a.h5\\data", "/tmp");
  EXPECT_TRUE(r.windows);
  EXPECT_FALSE(r.exists);
  EXPECT_EQ(r.internal, "/data");
  EXPECT_NE(r.reason.find("Windows path"), std::string::npos);
  auto rel = resolve("Downloads\\img.jpg", "/proj");
  EXPECT_TRUE(rel.windows);
  EXPECT_EQ(rel.file, "/proj/Downloads/img.jpg");
}

TEST(Paths, ResolvesRelativeToProjectFolderAndGlobs) {
  fs::path dir = fs::temp_directory_path() / ("ilpkit_paths_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "data");
  std::ofstream(dir / "data" / "a.h5") << "x";
  std::ofstream(dir / "data" / "b1.tif") << "x";
  std::ofstream(dir / "data" / "b2.tif") << "x";
  auto r = resolve("data/a.h5/data", dir.string());
  EXPECT_TRUE(r.exists);
  EXPECT_EQ(r.file, (dir / "data" / "a.h5").string());
  EXPECT_EQ(r.internal, "/data");
  auto up = resolve("../data/a.h5", (dir / "data").string());
  EXPECT_TRUE(up.exists);
  EXPECT_TRUE(resolve("data/a*.h5", dir.string()).exists);
  auto stack = resolve("data/b*.tif", dir.string());
  EXPECT_TRUE(stack.stack);
  EXPECT_FALSE(stack.exists);
  auto list = resolve("data/b1.tif:data/b2.tif", dir.string());
  EXPECT_TRUE(list.stack);
  auto missing = resolve("data/none.h5/data", dir.string());
  EXPECT_FALSE(missing.exists);
  EXPECT_EQ(missing.reason, "file not found");
  EXPECT_TRUE(resolve("http://example.org/vol.n5", dir.string()).url);
  fs::remove_all(dir);
}
