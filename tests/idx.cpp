// Tests for common/idx.hpp
#include <catch2/catch.hpp>

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/idx.hpp"
#include "support/chapter_run.hpp"

namespace fs = std::filesystem;
using Catch::Contains;

namespace {

using Bytes = std::vector<std::uint8_t>;

void put_big_endian(Bytes& b, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    b.push_back(static_cast<std::uint8_t>(v >> shift));
}

// An IDX file as bytes: 00 00 TYPE N, N big-endian sizes, then the payload.
Bytes idx_file(const std::vector<std::uint32_t>& dims, const Bytes& payload,
               std::uint8_t type = 0x08) {
  Bytes b = {0x00, 0x00, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims) put_big_endian(b, d);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// n images of rows x cols whose pixels are all different from their neighbours.
Bytes pixels(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
  Bytes p(std::size_t{n} * rows * cols);
  for (std::size_t k = 0; k < p.size(); ++k) p[k] = static_cast<std::uint8_t>(k * 37 + 11);
  return p;
}

Bytes image_file(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
  return idx_file({n, rows, cols}, pixels(n, rows, cols));
}

Bytes label_file(const Bytes& labels) {
  return idx_file({static_cast<std::uint32_t>(labels.size())}, labels);
}

std::string write_plain(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
  return path;
}

std::string write_gz(const std::string& path, const Bytes& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f != nullptr);
  REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) ==
          static_cast<int>(bytes.size()));
  REQUIRE(gzclose(f) == Z_OK);
  return path;
}

Bytes read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

nn::Images parse_images(const Bytes& b) { return nn::parse_idx_images(b.data(), b.size()); }
arma::uvec parse_labels(const Bytes& b, unsigned n_classes = 10) {
  return nn::parse_idx_labels(b.data(), b.size(), n_classes);
}

}  // namespace

// ---------------------------------------------------------------------------------------
// The happy path
// ---------------------------------------------------------------------------------------

TEST_CASE("a small valid IDX file round-trips from memory, plain and gzip-compressed",
          "[idx]") {
  const std::string dir = nn::test::fresh_dir("idx_round_trip");
  const Bytes images = image_file(3, 4, 5);
  const Bytes labels = label_file({7, 0, 9});
  const Bytes p = pixels(3, 4, 5);

  for (const std::string form : {"memory", "plain", "gz"}) {
    CAPTURE(form);
    nn::Images im;
    arma::uvec y;
    if (form == "memory") {
      im = parse_images(images);
      y = parse_labels(labels);
    } else if (form == "plain") {
      im = nn::load_idx_images(write_plain(dir + "/images", images));
      y = nn::load_idx_labels(write_plain(dir + "/labels", labels), 10);
    } else {
      im = nn::load_idx_images(write_gz(dir + "/images.gz", images));
      y = nn::load_idx_labels(write_gz(dir + "/labels.gz", labels), 10);
    }
    REQUIRE(im.count() == 3);
    REQUIRE(im.rows == 4);
    REQUIRE(im.cols == 5);
    REQUIRE(im.pixels.n_rows == 20);
    // pixels(r * cols + c, i) is row r, column c of image i, stored row by row in the file.
    for (arma::uword i = 0; i < 3; ++i)
      for (arma::uword r = 0; r < 4; ++r)
        for (arma::uword c = 0; c < 5; ++c) {
          CAPTURE(i, r, c);
          REQUIRE(im.pixels(r * 5 + c, i) == p[i * 20 + r * 5 + c]);
        }
    CHECK(arma::all(y == arma::uvec({7, 0, 9})));
  }
}

TEST_CASE("a pair of files loads as a data set with its class names", "[idx]") {
  const std::string dir = nn::test::fresh_dir("idx_pair");
  const nn::ImageDataset d = nn::load_labelled_images(
      write_gz(dir + "/im.gz", image_file(4, 2, 2)),
      write_plain(dir + "/lab", label_file({2, 1, 0, 2})), {"a", "b", "c"});
  CHECK(d.size() == 4);
  CHECK(d.n_classes() == 3);
  CHECK(d.labels(3) == 2);
}

TEST_CASE("a data folder may hold each file as NAME or NAME.gz, and the plain one wins",
          "[idx]") {
  const std::string dir = nn::test::fresh_dir("idx_file_in");
  write_gz(dir + "/x-idx1-ubyte.gz", label_file({1}));
  CHECK(nn::idx_file_in(dir, "x-idx1-ubyte") == dir + "/x-idx1-ubyte.gz");
  write_plain(dir + "/x-idx1-ubyte", label_file({1}));
  CHECK(nn::idx_file_in(dir, "x-idx1-ubyte") == dir + "/x-idx1-ubyte");
  CHECK_THROWS_WITH(nn::idx_file_in(dir, "y-idx1-ubyte"),
                    Contains("no y-idx1-ubyte.gz or y-idx1-ubyte in " + dir));
  CHECK_THROWS_WITH(nn::idx_file_in(dir + "/nowhere", "y"), Contains("no such folder"));
}

TEST_CASE("Fashion-MNIST loads from any folder holding its four file names", "[idx]") {
  const std::string dir = nn::test::fresh_dir("idx_fashion_folder");
  write_gz(dir + "/train-images-idx3-ubyte.gz", image_file(3, 28, 28));
  write_gz(dir + "/train-labels-idx1-ubyte.gz", label_file({0, 5, 9}));
  write_plain(dir + "/t10k-images-idx3-ubyte", image_file(2, 28, 28));
  write_plain(dir + "/t10k-labels-idx1-ubyte", label_file({8, 1}));
  const nn::ImageDataset train = nn::load_fashion_mnist(dir, nn::Split::train);
  const nn::ImageDataset test = nn::load_fashion_mnist(dir, nn::Split::test);
  CHECK(train.size() == 3);
  CHECK(test.size() == 2);
  CHECK(train.class_names[train.labels(2)] == "Ankle boot");
  CHECK(test.class_names[test.labels(0)] == "Bag");
  fs::remove(dir + "/t10k-labels-idx1-ubyte");
  CHECK_THROWS_AS(nn::load_fashion_mnist(dir, nn::Split::test), nn::DataError);
}

TEST_CASE("the Fashion-MNIST class names are the ten in label order", "[idx]") {
  const std::vector<std::string> names = nn::fashion_mnist_class_names();
  REQUIRE(names.size() == 10);
  CHECK(names[0] == "T-shirt/top");
  CHECK(names[1] == "Trouser");
  CHECK(names[6] == "Shirt");
  CHECK(names[9] == "Ankle boot");
}

// ---------------------------------------------------------------------------------------
// Every way a file can be wrong: one DataError naming the file and the fault
// ---------------------------------------------------------------------------------------

TEST_CASE("a missing file is an error naming it", "[idx]") {
  const std::string dir = nn::test::fresh_dir("idx_missing");
  CHECK_THROWS_AS(nn::load_idx_images(dir + "/none.gz"), nn::DataError);
  CHECK_THROWS_WITH(nn::load_idx_images(dir + "/none.gz"),
                    Contains(dir + "/none.gz") && Contains("no such file"));
  CHECK_THROWS_WITH(nn::load_idx_labels(dir, 10),
                    Contains(dir) && Contains("a folder, not a file"));
}

TEST_CASE("a file that is not IDX is rejected by its magic bytes", "[idx]") {
  const std::string dir = nn::test::fresh_dir("idx_magic");
  const std::string text = write_plain(dir + "/notes.txt", {'h', 'e', 'l', 'l', 'o', '\n'});
  CHECK_THROWS_WITH(nn::load_idx_images(text),
                    Contains(text) && Contains("not an IDX file") && Contains("68 65"));
  CHECK_THROWS_WITH(parse_images({}), Contains("<memory>") && Contains("0 bytes long"));
  CHECK_THROWS_WITH(parse_images({0, 0}), Contains("shorter than the 4-byte magic"));
  // A .gz inside a .gz: zlib takes one layer off, the gzip signature 1f 8b remains.
  const std::string twice = dir + "/twice.gz";
  write_gz(twice, read_bytes(write_gz(dir + "/once.gz", image_file(1, 2, 2))));
  CHECK_THROWS_WITH(nn::load_idx_images(twice),
                    Contains("1f 8b") && Contains("compressed twice"));
}

TEST_CASE("an IDX type other than unsigned byte is rejected", "[idx]") {
  const Bytes floats = idx_file({1, 2, 2}, Bytes(16, 0), 0x0D);
  CHECK_THROWS_WITH(parse_images(floats),
                    Contains("0x0d") && Contains("32-bit float") && Contains("only type 0x08"));
  CHECK_THROWS_WITH(parse_images(idx_file({4}, Bytes(4, 0), 0x42)), Contains("0x42"));
}

TEST_CASE("a wrong number of dimensions is rejected (images need 3, labels 1)", "[idx]") {
  CHECK_THROWS_WITH(parse_images(label_file({1, 2})),
                    Contains("1 dimension(s)") && Contains("images has 3") &&
                        Contains("looks like a file of labels"));
  CHECK_THROWS_WITH(parse_labels(image_file(1, 2, 2)),
                    Contains("3 dimension(s)") && Contains("labels has 1"));
  CHECK_THROWS_WITH(parse_images(idx_file({2, 8}, Bytes(16, 0))), Contains("2 dimension(s)"));
}

TEST_CASE("sizes that overflow, exceed the cap or are zero are rejected before allocating",
          "[idx]") {
  // 2^32-1 cubed does not fit in 64 bits; the product is checked size by size.
  const Bytes huge = idx_file({0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, {});
  CHECK_THROWS_WITH(parse_images(huge), Contains("4294967295 x 4294967295 x 4294967295") &&
                                            Contains("kMaxIdxElements"));
  // 200 million pixels: twice the cap. The payload is absent; the header alone decides.
  CHECK_THROWS_WITH(parse_images(idx_file({20000, 100, 100}, {})),
                    Contains("20000 x 100 x 100") && Contains("100000000"));
  // Exactly the cap is allowed past the header (and then fails only for the missing data).
  CHECK_THROWS_WITH(parse_labels(idx_file({100'000'000}, {})), Contains("truncated"));
  CHECK_THROWS_WITH(parse_images(idx_file({0, 28, 28}, {})), Contains("a size of 0"));
  CHECK_THROWS_WITH(parse_labels(idx_file({0}, {})), Contains("a size of 0"));
}

TEST_CASE("a truncated header or payload is rejected, in memory and in files", "[idx]") {
  const std::string dir = nn::test::fresh_dir("idx_truncated");
  Bytes cut = image_file(3, 4, 5);
  cut.resize(cut.size() - 1);
  CHECK_THROWS_WITH(parse_images(cut),
                    Contains("truncated") && Contains("60 data bytes") && Contains("only 59"));
  CHECK_THROWS_WITH(nn::load_idx_images(write_plain(dir + "/cut", cut)),
                    Contains(dir + "/cut") && Contains("only 59"));
  CHECK_THROWS_WITH(nn::load_idx_images(write_gz(dir + "/cut.gz", cut)),
                    Contains(dir + "/cut.gz") && Contains("only 59"));
  Bytes header = image_file(3, 4, 5);
  header.resize(10);
  CHECK_THROWS_WITH(parse_images(header),
                    Contains("truncated header") && Contains("after 10 of its 16 bytes"));
}

TEST_CASE("trailing bytes after the payload are rejected, in memory and in files", "[idx]") {
  const std::string dir = nn::test::fresh_dir("idx_trailing");
  Bytes longer = label_file({1, 2, 3});
  longer.insert(longer.end(), {0, 0});
  CHECK_THROWS_WITH(parse_labels(longer),
                    Contains("2 trailing byte(s) after the 3 data bytes"));
  CHECK_THROWS_WITH(nn::load_idx_labels(write_plain(dir + "/long", longer), 10),
                    Contains(dir + "/long") && Contains("2 trailing"));
  CHECK_THROWS_WITH(nn::load_idx_labels(write_gz(dir + "/long.gz", longer), 10),
                    Contains(dir + "/long.gz") && Contains("2 trailing"));
}

TEST_CASE("a damaged or truncated .gz file is a zlib error, not garbage data", "[idx]") {
  const std::string dir = nn::test::fresh_dir("idx_corrupt_gz");
  const Bytes good = read_bytes(write_gz(dir + "/good.gz", image_file(20, 28, 28)));
  REQUIRE(good.size() > 200);
  CHECK_NOTHROW(nn::load_idx_images(dir + "/good.gz"));

  // Damage a few bytes in the middle of the compressed stream.
  Bytes damaged = good;
  for (std::size_t k = good.size() / 2; k < good.size() / 2 + 4; ++k) damaged[k] ^= 0x5A;
  CHECK_THROWS_WITH(nn::load_idx_images(write_plain(dir + "/damaged.gz", damaged)),
                    Contains(dir + "/damaged.gz") && Contains("corrupt gzip data (zlib: "));

  // Damage only the CRC-32 in the gzip trailer: every data byte decodes, zlib's check
  // of the whole stream must still fail.
  Bytes bad_crc = good;
  bad_crc[good.size() - 8] ^= 0xFF;
  CHECK_THROWS_WITH(nn::load_idx_images(write_plain(dir + "/crc.gz", bad_crc)),
                    Contains("corrupt gzip data") && Contains("incorrect data check"));

  // Cut the compressed file short: the stream ends early (zlib's Z_BUF_ERROR).
  const Bytes half(good.begin(), good.begin() + static_cast<long>(good.size() / 2));
  CHECK_THROWS_WITH(nn::load_idx_images(write_plain(dir + "/half.gz", half)),
                    Contains(dir + "/half.gz") && Contains("the .gz file is truncated"));
  // Cut just inside the 8-byte trailer: all data is there, the stream is still incomplete.
  const Bytes no_trailer(good.begin(), good.end() - 4);
  CHECK_THROWS_WITH(nn::load_idx_images(write_plain(dir + "/no_trailer.gz", no_trailer)),
                    Contains("the .gz file is truncated"));
}

TEST_CASE("labels outside 0..K-1 are rejected with the sample named", "[idx]") {
  CHECK_THROWS_WITH(parse_labels(label_file({0, 9, 10, 3})),
                    Contains("label 10 of sample 2 is outside 0..9"));
  CHECK_THROWS_WITH(parse_labels(label_file({0, 1, 2, 3}), 3),
                    Contains("label 3 of sample 3 is outside 0..2"));
  CHECK_NOTHROW(parse_labels(label_file({255}), 256));
  CHECK_THROWS_AS(parse_labels(label_file({0}), 0), std::invalid_argument);
}

TEST_CASE("images and labels of different counts are not a pair", "[idx]") {
  const std::string dir = nn::test::fresh_dir("idx_mismatch");
  const std::string images = write_plain(dir + "/images", image_file(3, 2, 2));
  const std::string labels = write_plain(dir + "/labels", label_file({1, 2, 3, 4}));
  CHECK_THROWS_WITH(nn::load_labelled_images(images, labels, nn::fashion_mnist_class_names()),
                    Contains(images + " holds 3 images, but " + labels + " holds 4 labels"));
}

// ---------------------------------------------------------------------------------------
// Batches
// ---------------------------------------------------------------------------------------

TEST_CASE("gather_batch copies the chosen images into a float matrix, scaled to [0, 1]",
          "[idx]") {
  const nn::Images im = parse_images(image_file(5, 3, 2));
  const arma::uvec batch = {4, 0, 4};
  arma::fmat X(6, 3);
  const float* before = X.memptr();
  nn::gather_batch(im, batch, X);
  CHECK(X.memptr() == before);  // the right size already: reused, not reallocated
  for (arma::uword j = 0; j < batch.n_elem; ++j)
    for (arma::uword p = 0; p < 6; ++p) {
      CAPTURE(j, p);
      REQUIRE(X(p, j) == static_cast<float>(im.pixels(p, batch(j))) / 255.0f);
    }
  CHECK(X.min() >= 0.0f);
  CHECK(X.max() <= 1.0f);

  // A shorter last batch resizes X; so does double precision work the same way.
  arma::mat Xd;
  nn::gather_batch(im, arma::uvec({1}), Xd);
  CHECK(Xd.n_rows == 6);
  CHECK(Xd.n_cols == 1);
  CHECK(Xd(0, 0) == static_cast<double>(im.pixels(0, 1)) / 255.0);
  nn::gather_batch(im, arma::uvec({2, 3}), X);
  CHECK(X.n_cols == 2);
  CHECK_THROWS_AS(nn::gather_batch(im, arma::uvec({5}), X), std::out_of_range);
}

TEST_CASE("every byte value converts to exactly k / 255", "[idx]") {
  // One image holding every byte value once (plus 0 again), gathered in float and double.
  nn::Images im;
  im.rows = 16;
  im.cols = 16;
  im.pixels.set_size(256, 2);
  for (int k = 0; k < 256; ++k) im.pixels(k, 1) = static_cast<unsigned char>(k);
  im.pixels.col(0).zeros();
  arma::fmat X;
  arma::mat Xd;
  nn::gather_batch(im, arma::uvec{1}, X);
  nn::gather_batch(im, arma::uvec{1}, Xd);
  for (int k = 0; k < 256; ++k) {
    CAPTURE(k);
    REQUIRE(X(k, 0) == static_cast<float>(k) / 255.0f);
    REQUIRE(Xd(k, 0) == static_cast<double>(k) / 255.0);
  }
  CHECK(X(0, 0) == 0.0f);
  CHECK(X(255, 0) == 1.0f);
}

// ---------------------------------------------------------------------------------------
// The real data set (Debian's dataset-fashion-mnist, which ./tutorial installs)
// ---------------------------------------------------------------------------------------

TEST_CASE("the installed Fashion-MNIST files load: 60000 + 10000 images of 28x28",
          "[idx][fashion_mnist]") {
  if (!fs::exists(std::string(nn::kFashionMnistDir) + "/train-images-idx3-ubyte.gz")) {
    WARN("Fashion-MNIST is not installed in " << nn::kFashionMnistDir
                                              << " (apt-get install dataset-fashion-mnist): "
                                                 "skipping the real-data check");
    return;
  }
  const nn::ImageDataset train = nn::load_fashion_mnist(nn::kFashionMnistDir, nn::Split::train);
  const nn::ImageDataset test = nn::load_fashion_mnist(nn::kFashionMnistDir, nn::Split::test);
  CHECK(train.size() == 60000);
  CHECK(test.size() == 10000);
  for (const nn::ImageDataset* d : {&train, &test}) {
    CHECK(d->images.rows == 28);
    CHECK(d->images.cols == 28);
    CHECK(d->images.pixels.n_rows == 784);
    CHECK(d->n_classes() == 10);
    // Fashion-MNIST is balanced: every class has a tenth of the images.
    const arma::uvec per_class = arma::hist(d->labels, arma::regspace<arma::uvec>(0, 9));
    CHECK(arma::all(per_class == d->size() / 10));
    CHECK(d->images.pixels.max() == 255);
  }
}
