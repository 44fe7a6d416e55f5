// SPDX-License-Identifier: MIT
// Stacks of 2-D images (ilastik's globs and os.pathsep-joined lists) along z, t or c, and the
// expansion of such specs into files.
#include <glob.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "sources.hpp"

namespace ilpkit::image_detail {

namespace {

class StackedImage final : public RegionSource {
 public:
  StackedImage(std::vector<std::unique_ptr<ImageSource>> slices, char axis, ImageInfo info)
      : slices_(std::move(slices)), axis_(axis) {
    info_ = std::move(info);
  }

  void read_region(const std::vector<std::int64_t>& begin, const std::vector<std::int64_t>& count,
                   float* out) const override {
    // File order: [slice] y x [c] for z/t stacks, y x c for channel stacks.
    const std::int64_t slice_channels = slices_.front()->info().extent('c');
    const bool along_c = axis_ == 'c';
    const std::size_t d = along_c ? 0 : 1;
    const std::int64_t y0 = begin[d], ny = count[d], x0 = begin[d + 1], nx = count[d + 1];
    const bool has_c = info_.axes.size() > d + 2;
    const std::int64_t c0 = has_c ? begin[d + 2] : 0, nc = has_c ? count[d + 2] : 1;
    Box box;
    box.begin = {0, y0, x0};
    box.end = {1, y0 + ny, x0 + nx};
    PlanarBlock plane;
    auto copy = [&](const PlanarBlock& p, std::int64_t channel_offset, float* dst) {
      // Channels [c0, c0 + nc) of the stack that fall into this slice.
      for (std::int64_t c = 0; c < nc; ++c) {
        const std::int64_t local = c0 + c - channel_offset;
        if (local < 0 || local >= slice_channels) continue;
        const float* src = p.channel(static_cast<int>(local));
        for (std::int64_t i = 0; i < ny * nx; ++i) dst[i * nc + c] = src[i];
      }
    };
    if (along_c) {
      for (std::size_t s = 0; s < slices_.size(); ++s) {
        const std::int64_t offset = static_cast<std::int64_t>(s) * slice_channels;
        if (offset + slice_channels <= c0 || offset >= c0 + nc) continue;
        slices_[s]->read(0, box, plane);
        copy(plane, offset, out);
      }
      return;
    }
    for (std::int64_t s = begin[0]; s < begin[0] + count[0]; ++s) {
      slices_[static_cast<std::size_t>(s)]->read(0, box, plane);
      copy(plane, 0, out + static_cast<std::size_t>((s - begin[0]) * ny * nx * nc));
    }
  }

 private:
  std::vector<std::unique_ptr<ImageSource>> slices_;
  char axis_;
};

bool has_glob_characters(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

// "dir/*.h5/data" -> ("dir/*.h5", "/data"): the pattern part that names files.
std::pair<std::string, std::string> split_inner_path(const std::string& spec) {
  for (const char* ext : {".h5/", ".hdf5/", ".hdf/"}) {
    std::string lower = spec;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    const auto at = lower.find(ext);
    if (at != std::string::npos) {
      const auto cut = at + std::char_traits<char>::length(ext) - 1;
      return {spec.substr(0, cut), spec.substr(cut)};
    }
  }
  return {spec, ""};
}

}  // namespace

std::vector<std::string> expand_stack_spec(const std::string& spec) {
  std::vector<std::string> parts;
  // os.pathsep is ':' on Linux; a spec without one is a single pattern.
  std::size_t pos = 0;
  while (true) {
    const auto colon = spec.find(':', pos);
    parts.push_back(spec.substr(pos, colon == std::string::npos ? std::string::npos : colon - pos));
    if (colon == std::string::npos) break;
    pos = colon + 1;
  }
  std::vector<std::string> files;
  for (const auto& part : parts) {
    if (part.empty()) continue;
    if (!has_glob_characters(part)) {
      files.push_back(part);
      continue;
    }
    const auto [pattern, inner] = split_inner_path(part);
    glob_t g{};
    const int rc = ::glob(pattern.c_str(), 0, nullptr, &g);
    std::vector<std::string> found;
    if (rc == 0)
      for (std::size_t i = 0; i < g.gl_pathc; ++i) found.push_back(std::string(g.gl_pathv[i]) + inner);
    ::globfree(&g);
    if (found.empty()) throw Error(ErrorKind::Io, fmt::format("{}: no file matches '{}'", spec, pattern));
    std::sort(found.begin(), found.end());  // ilastik sorts glob matches
    files.insert(files.end(), found.begin(), found.end());
  }
  if (files.empty()) throw Error(ErrorKind::Usage, fmt::format("'{}' names no file", spec));
  return files;
}

std::unique_ptr<ImageSource> stack_images(std::vector<std::unique_ptr<ImageSource>> slices, char axis,
                                          const std::string& spec) {
  if (axis != 'z' && axis != 't' && axis != 'c')
    throw Error(ErrorKind::Usage, fmt::format("--stack_along '{}': expected z, t or c", axis));
  const ImageInfo& first = slices.front()->info();
  for (const auto& s : slices) {
    const ImageInfo& i = s->info();
    const bool flat = (i.axes == "yx" || i.axes == "yxc");
    if (!flat)
      throw Error(ErrorKind::Unsupported,
                  fmt::format("stacking {}: {} has axes '{}'; only 2-D images (yx or yxc) can be stacked", spec,
                              i.path, i.axes));
    if (i.extent('y') != first.extent('y') || i.extent('x') != first.extent('x') ||
        i.extent('c') != first.extent('c') || i.dtype != first.dtype)
      throw Error(ErrorKind::Usage,
                  fmt::format("stacking {}: {} ({}×{}×{} {}) differs from {} ({}×{}×{} {})", spec, i.path,
                              i.extent('y'), i.extent('x'), i.extent('c'), to_string(i.dtype), first.path,
                              first.extent('y'), first.extent('x'), first.extent('c'), to_string(first.dtype)));
  }
  ImageInfo info;
  info.path = first.path;  // {dataset_dir} and {nickname} come from the first file, as in ilastik
  info.internal_path = first.internal_path;
  info.dtype = first.dtype;
  info.axes_source = fmt::format("stack of {} along {}", slices.size(), axis);
  // ilastik's nickname of a stack: the common prefix of the file names, without extension.
  std::string prefix = std::filesystem::path(first.path).filename().string();
  for (const auto& s : slices) {
    const std::string name = std::filesystem::path(s->info().path).filename().string();
    std::size_t k = 0;
    while (k < prefix.size() && k < name.size() && prefix[k] == name[k]) ++k;
    prefix.resize(k);
  }
  if (const auto dot = prefix.rfind('.'); dot != std::string::npos) prefix.resize(dot);
  info.stack_nickname = prefix.empty() ? "stack" : prefix;
  const auto n = static_cast<std::int64_t>(slices.size());
  const std::int64_t channels = first.extent('c');
  if (axis == 'c') {
    info.axes = "yxc";
    info.shape = {first.extent('y'), first.extent('x'), n * channels};
  } else {
    info.axes = std::string(1, axis) + "yx";
    info.shape = {n, first.extent('y'), first.extent('x')};
    if (first.axes == "yxc") {
      info.axes += "c";
      info.shape.push_back(channels);
    }
  }
  return std::make_unique<StackedImage>(std::move(slices), axis, std::move(info));
}

}  // namespace ilpkit::image_detail
