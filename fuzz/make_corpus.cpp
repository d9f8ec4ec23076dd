// make_corpus.cpp: writes the seed corpus for the IDX fuzz target into a folder.
//
//   make_corpus DIR
//
// The seeds are small IDX files, valid and broken in each way the reader checks, so the
// fuzzer starts from inputs that already reach every branch and mutates from there. It
// needs nothing but a C++ compiler (no Python, no xxd), so fuzz/run.sh works on a fresh
// Debian.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

namespace {

using Bytes = std::vector<std::uint8_t>;

// An IDX file: 00 00 TYPE N, then N big-endian 32-bit sizes, then the payload.
Bytes idx(std::uint8_t type, std::initializer_list<std::uint32_t> dims, const Bytes& payload) {
  Bytes b = {0x00, 0x00, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8)
      b.push_back(static_cast<std::uint8_t>(d >> shift));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

Bytes ramp(std::size_t n) {
  Bytes p(n);
  for (std::size_t k = 0; k < n; ++k) p[k] = static_cast<std::uint8_t>(k * 29);
  return p;
}

Bytes with(Bytes b, std::size_t at, std::uint8_t value) {
  b.at(at) = value;
  return b;
}

Bytes cut(Bytes b, std::size_t n) {
  b.resize(b.size() - n);
  return b;
}

Bytes plus(Bytes b, std::initializer_list<std::uint8_t> extra) {
  b.insert(b.end(), extra);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  const Bytes images = idx(0x08, {2, 3, 4}, ramp(24));   // 2 images of 3x4
  const Bytes labels = idx(0x08, {5}, {0, 9, 3, 1, 7});  // 5 labels
  const std::vector<std::pair<std::string, Bytes>> seeds = {
      {"images_valid", images},
      {"labels_valid", labels},
      {"images_one_pixel", idx(0x08, {1, 1, 1}, {255})},
      {"labels_out_of_range", idx(0x08, {3}, {1, 10, 200})},
      {"images_bad_magic", with(images, 0, 0x1f)},
      {"images_gzip_signature", with(with(images, 0, 0x1f), 1, 0x8b)},
      {"images_float_type", idx(0x0D, {1, 1, 1}, {0, 0, 0, 0})},
      {"images_two_dims", idx(0x08, {2, 12}, ramp(24))},
      {"labels_three_dims", idx(0x08, {5, 1, 1}, {0, 1, 2, 3, 4})},
      {"images_zero_count", idx(0x08, {0, 28, 28}, {})},
      {"images_over_cap", idx(0x08, {20000, 100, 100}, {})},
      {"images_overflow", idx(0x08, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {})},
      {"images_truncated", cut(images, 1)},
      {"images_trailing", plus(images, {0, 0, 0})},
      {"labels_truncated_header", cut(labels, 8)},
      {"empty", {}},
  };
  for (const auto& [name, bytes] : seeds) {
    const std::string path = dir + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "make_corpus: cannot write %s\n", path.c_str());
      return 1;
    }
  }
  std::printf("make_corpus: %zu seeds in %s\n", seeds.size(), dir.c_str());
  return 0;
}
