// image_files.hpp: PNG and JPEG files written in memory, for the photo tests and the photo
// fuzz target's seeds (fuzz/make_seeds.cpp). The encoders are the libraries that
// common/photo.cpp decodes with: libpng's simplified API and libjpeg-turbo's TurboJPEG.
//
//   std::string png = test_images::png(w, h, n, pixels);   // n = 1 grey, 2 grey + alpha,
//   std::string jpg = test_images::jpeg(w, h, n, pixels);  //     3 RGB, 4 RGBA (JPEG: 1, 3, 4)
// pixels: w * h * n bytes, row by row. An empty string when the library refuses.
#pragma once

#include <png.h>
#include <turbojpeg.h>

#include <memory>
#include <string>
#include <vector>

namespace test_images {

inline std::string png(int w, int h, int n, const std::vector<unsigned char>& pixels) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = png_uint_32(w);
  image.height = png_uint_32(h);
  image.format = n == 1   ? PNG_FORMAT_GRAY
                 : n == 2 ? PNG_FORMAT_GA
                 : n == 3 ? PNG_FORMAT_RGB
                          : PNG_FORMAT_RGBA;
  png_alloc_size_t size = 0;
  if (!png_image_write_get_memory_size(image, size, 0, pixels.data(), 0, nullptr)) return "";
  std::string file(size, '\0');
  if (!png_image_write_to_memory(&image, file.data(), &size, 0, pixels.data(), 0, nullptr))
    return "";
  file.resize(size);
  return file;
}

inline std::string jpeg(int w, int h, int n, const std::vector<unsigned char>& pixels,
                        int quality = 95) {
  const std::unique_ptr<void, int (*)(tjhandle)> encoder(tjInitCompress(), tjDestroy);
  if (!encoder || (n != 1 && n != 3 && n != 4)) return "";
  const int format = n == 1 ? TJPF_GRAY : n == 3 ? TJPF_RGB : TJPF_RGBA;
  unsigned char* file = nullptr;  // allocated by TurboJPEG, freed by tjFree
  unsigned long size = 0;
  const int status = tjCompress2(encoder.get(), pixels.data(), w, 0, h, format, &file, &size,
                                 n == 1 ? TJSAMP_GRAY : TJSAMP_420, quality, 0);
  const std::string bytes = status == 0 ? std::string(reinterpret_cast<char*>(file), size) : "";
  tjFree(file);
  return bytes;
}

}  // namespace test_images
