// SPDX-License-Identifier: MIT
// ilastik writes its other 2-D image formats (bmp, gif, hdr, jpeg/jpg, pbm/pgm/ppm/pnm, ras)
// through vigra.impex.writeImage; this writer hands the staged image to the same VIGRA library
// (libvigraimpex), so the files are encoded as ilastik's are. VIGRA types stay in this file.
#include <vigra/impex.hxx>
#include <vigra/multi_array.hxx>
#include <vigra/rgbvalue.hxx>

#include <cstring>

#include <fmt/format.h>

#include "ilpkit/error.hpp"
#include "vigra_writer.hpp"

namespace ilpkit::image_detail {

namespace {

template <class T>
void export_typed(const std::vector<unsigned char>& bytes, std::uint32_t width, std::uint32_t height, int channels,
                  const vigra::ImageExportInfo& info) {
  const vigra::Shape2 shape(width, height);  // x runs fastest, as in the staged y,x,c bytes
  if (channels == 1) {
    vigra::MultiArray<2, T> image(shape);
    std::memcpy(image.data(), bytes.data(), bytes.size());
    vigra::exportImage(image, info);
  } else {
    vigra::MultiArray<2, vigra::RGBValue<T>> image(shape);
    std::memcpy(static_cast<void*>(image.data()), bytes.data(), bytes.size());
    vigra::exportImage(image, info);
  }
}

}  // namespace

const char* vigra_file_type(const std::string& format) {
  if (format == "bmp") return "BMP";
  if (format == "gif") return "GIF";
  if (format == "hdr") return "HDR";
  if (format == "jpeg" || format == "jpg") return "JPEG";
  if (format == "pbm" || format == "pgm" || format == "ppm" || format == "pnm") return "PNM";
  if (format == "ras") return "SUN";
  return nullptr;
}

void write_with_vigra(const std::string& format, const std::string& path, const std::vector<unsigned char>& bytes,
                      std::uint32_t width, std::uint32_t height, int channels, ValueType dtype) {
  const char* type = vigra_file_type(format);
  if (!type) throw Error(ErrorKind::Internal, "not a VIGRA image format: " + format);
  try {
    vigra::ImageExportInfo info(path.c_str());
    info.setFileType(type);
    switch (dtype) {
      case ValueType::UInt8: export_typed<vigra::UInt8>(bytes, width, height, channels, info); break;
      case ValueType::Int16: export_typed<vigra::Int16>(bytes, width, height, channels, info); break;
      case ValueType::UInt16: export_typed<vigra::UInt16>(bytes, width, height, channels, info); break;
      case ValueType::Int32: export_typed<vigra::Int32>(bytes, width, height, channels, info); break;
      case ValueType::UInt32: export_typed<vigra::UInt32>(bytes, width, height, channels, info); break;
      case ValueType::Float32: export_typed<float>(bytes, width, height, channels, info); break;
      case ValueType::Float64: export_typed<double>(bytes, width, height, channels, info); break;
      default:
        throw Error(ErrorKind::Usage, fmt::format("{} files cannot hold {} values", format, to_string(dtype)));
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    // VIGRA reports what the format cannot hold (bands, pixel types) as precondition failures.
    std::string what = e.what();
    if (const auto nl = what.find('\n'); nl != std::string::npos) what = what.substr(0, nl);
    throw Error(ErrorKind::Io, fmt::format("VIGRA could not write the {} file: {}", format, what));
  }
}

}  // namespace ilpkit::image_detail
