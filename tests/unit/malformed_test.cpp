// SPDX-License-Identifier: MIT
// Bad input gives a specific error (kind and message), never a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "ilpkit/error.hpp"
#include "ilpkit/ilp.hpp"
#include "test_paths.hpp"

using namespace ilpkit;
namespace fs = std::filesystem;

namespace {

struct Expect {
  const char* file;
  ErrorKind kind;
  const char* message;
};

void expect_error(const std::string& path, ErrorKind kind, const std::string& message) {
  try {
    read_project(path);
    ADD_FAILURE() << path << " was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << "message: " << e.what();
  }
}

}  // namespace

TEST(Malformed, EachGivesASpecificError) {
  const Expect cases[] = {
      {"malformed/not_hdf5.ilp", ErrorKind::Format, "not an HDF5 file"},
      {"malformed/missing_blockslice.ilp", ErrorKind::Format,
       "reading /PixelClassification/LabelSets/labels000/block0001: attribute blockSlice is missing"},
      {"malformed/negative_blockslice.ilp", ErrorKind::Format, "blockSlice '[-1:1,2:5,0:1]': slice -1:1 is empty or negative"},
      {"malformed/slice_shape_mismatch.ilp", ErrorKind::Format, "block is uint8[1,3,1] but blockSlice '[10:11,13:17,0:1]' spans 4"},
      {"malformed/selection_matrix_dtype.ilp", ErrorKind::Format, "SelectionMatrix: expected bool[6,7], got int8[6,6]"},
      {"malformed/absurd_shape.ilp", ErrorKind::Format, "shape (12, -5) has an impossible extent -5"},
      {"malformed/tree_bad_child.ilp", ErrorKind::Format,
       "reading /PixelClassification/ClassifierForests/Forest0000/Tree_1: threshold node at 2 has child index 2"},
      {"malformed/other_workflow.ilp", ErrorKind::Unsupported,
       "workflow 'Object Classification (from pixel classification)' is not supported"},
      {"malformed/block_wrong_dtype.ilp", ErrorKind::Format, "label block is float32[2,3,1], expected uint8"},
  };
  for (const auto& c : cases) expect_error(test::testdata(c.file), c.kind, c.message);
}

TEST(Malformed, MissingFileAndDirectoryAreIoErrors) {
  expect_error(test::testdata("nope.ilp"), ErrorKind::Io, "no such file");
  expect_error(test::testdata("malformed"), ErrorKind::Io, "is a directory");
}

TEST(Malformed, RecoverableProblemsLoadWithDiagnostics) {
  Project p = read_project(test::testdata("malformed/pickle_bad_opcode.ilp"));
  EXPECT_TRUE(p.factory.is_default);
  EXPECT_NE(p.factory.fallback_reason.find("unexpected opcode byte 0x80"), std::string::npos) << p.factory.fallback_reason;

  Project q = read_project(test::testdata("malformed/outside_blockslice.ilp"));
  EXPECT_NE(q.labels[0].order_error.find("y slice 30:31 exceeds the image extent 12"), std::string::npos)
      << q.labels[0].order_error;
  try {
    decode_labels(q, 0);
    ADD_FAILURE() << "decoded labels that do not fit";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("decoding labels of lane 0"), std::string::npos) << e.what();
  }

  Project r = read_project(test::testdata("malformed/missing_scales.ilp"));
  EXPECT_FALSE(r.features);
  EXPECT_FALSE(match_classifier(r).matches);
}

TEST(Malformed, TruncatedCopiesNeverCrash) {
  std::string src = test::testdata("minimal_14.ilp");
  auto size = fs::file_size(src);
  std::ifstream in(src, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string out = test::temp_path("truncated.ilp");
  int errors = 0;
  for (std::size_t cut : {std::size_t{0}, std::size_t{7}, std::size_t{100}, std::size_t{800}, std::size_t{2048},
                          static_cast<std::size_t>(size / 2), static_cast<std::size_t>(size - 100)}) {
    std::ofstream(out, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(cut));
    try {
      read_project(out);
    } catch (const Error& e) {
      ++errors;
      EXPECT_TRUE(e.kind() == ErrorKind::Format || e.kind() == ErrorKind::Io) << e.what();
    }
  }
  EXPECT_GE(errors, 5);  // the shortest cuts cannot be a project
}
