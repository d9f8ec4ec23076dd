// idx.hpp: read image data sets stored as IDX files (MNIST, Fashion-MNIST), trusting nothing.
//
// An IDX file is a 4-byte magic number, one big-endian 32-bit size per dimension, then the
// data, row-major:
//
//   bytes 0-1   0x00 0x00
//   byte  2     the element type: 0x08 = unsigned byte (the only type read here)
//   byte  3     the number of dimensions: 3 for images (count, rows, cols), 1 for labels
//   then        4 bytes per dimension, big-endian
//   then        count x rows x cols bytes of pixels (0 = background, 255 = ink), or
//               count bytes of labels (0..9)
//
// The files are usually gzip-compressed (NAME.gz). They are read through zlib's gzread,
// which decompresses a .gz file and reads a plain file unchanged (zlib checks the first
// two bytes for the gzip signature 1f 8b; an IDX file starts with 00 00, so the two cannot
// be confused). Either form loads with the same call.
//
// A downloaded file can be damaged, truncated, or not what its name says. Every check a
// reader needs is made, each failure is one nn::DataError whose message names the file and
// what is wrong, and nothing is allocated before the header has been checked (in memory
// the length is checked first too; a file's length is known only by reading it, so a
// truncated file may cost one allocation of at most kMaxIdxElements bytes):
//   - magic bytes, type code and number of dimensions;
//   - every size non-zero, and their product at most kMaxIdxElements (no overflow);
//   - exactly the announced number of data bytes (a truncated file or one with trailing
//     bytes is rejected);
//   - zlib's verdict (a corrupt or truncated .gz stream, a failed read or close);
//   - labels in 0..n_classes-1, and as many labels as images when both are loaded.
//
// Pixels stay bytes (60,000 Fashion-MNIST images are 47 MB; as float they would be 188 MB).
// A training loop converts one batch at a time to floating point with gather_batch.
#pragma once

#include <armadillo>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace nn {

// A data file that cannot be used: missing, unreadable, corrupt, or inconsistent.
struct DataError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The most elements (bytes) one IDX file may announce: 100 million, i.e. 100 MB of pixels,
// about twice Fashion-MNIST's training images (60,000 x 28 x 28 = 47,040,000). A header
// announcing more is rejected before anything is allocated, so a damaged or hostile size
// field cannot make the loader ask for gigabytes.
constexpr std::uint64_t kMaxIdxElements = 100'000'000;

// Images, one per column: pixels(r * cols + c, i) is row r, column c of image i.
struct Images {
  arma::Mat<unsigned char> pixels;  // (rows*cols x count), values 0..255
  arma::uword rows = 0, cols = 0;   // the size of one image

  arma::uword count() const { return pixels.n_cols; }
};

// Images with their labels, as the training chapters use them.
struct ImageDataset {
  Images images;
  arma::uvec labels;                     // (count): class of each image, 0..K-1
  std::vector<std::string> class_names;  // K names

  arma::uword size() const { return images.count(); }
  arma::uword n_classes() const { return class_names.size(); }
};

// ---------------------------------------------------------------------------------------
// Parsing bytes already in memory (the fuzz target feeds these directly). `source` names
// the data in error messages.
// ---------------------------------------------------------------------------------------

// An IDX file of unsigned bytes with 3 dimensions (count, rows, cols).
Images parse_idx_images(const std::uint8_t* bytes, std::size_t size,
                        const std::string& source = "<memory>");

// An IDX file of unsigned bytes with 1 dimension (count), each label < n_classes (1..256).
arma::uvec parse_idx_labels(const std::uint8_t* bytes, std::size_t size, unsigned n_classes,
                            const std::string& source = "<memory>");

// ---------------------------------------------------------------------------------------
// Loading files, gzip-compressed or plain
// ---------------------------------------------------------------------------------------

Images load_idx_images(const std::string& path);
arma::uvec load_idx_labels(const std::string& path, unsigned n_classes);

// An images file and its labels file; throws DataError unless they hold as many samples.
// The number of classes is class_names.size().
ImageDataset load_labelled_images(const std::string& images_path,
                                  const std::string& labels_path,
                                  std::vector<std::string> class_names);

// DIR/NAME if it exists, else DIR/NAME.gz if that exists (a plain file is preferred: it
// needs no decompressing); throws DataError naming both when neither does.
std::string idx_file_in(const std::string& dir, const std::string& name);

// ---------------------------------------------------------------------------------------
// Fashion-MNIST (Zalando Research): 70,000 grey 28x28 photos of clothes in 10 classes.
// ---------------------------------------------------------------------------------------

// Where Debian's package dataset-fashion-mnist installs the four files.
inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// The 10 classes, in label order: 0 "T-shirt/top", 1 "Trouser", ..., 9 "Ankle boot".
std::vector<std::string> fashion_mnist_class_names();

enum class Split { train, test };  // 60,000 training or 10,000 test images

// Loads DIR/train-images-idx3-ubyte + train-labels-idx1-ubyte (Split::train) or
// DIR/t10k-images-idx3-ubyte + t10k-labels-idx1-ubyte (Split::test), each as NAME or
// NAME.gz, with the Fashion-MNIST class names.
ImageDataset load_fashion_mnist(const std::string& dir, Split split);

// ---------------------------------------------------------------------------------------
// One batch as floating point
// ---------------------------------------------------------------------------------------

// Copies the images at `indices` (a batch) into X, scaled from 0..255 to [0, 1]:
// X.col(j) = images.pixels.col(indices(j)) / 255. X is (rows*cols x indices.n_elem); it
// is resized only when its size differs, so a buffer reused batch after batch is
// allocated once (and once more for a shorter last batch). Throws std::out_of_range for
// an index >= images.count().
template <typename Real>
void gather_batch(const Images& images, const arma::uvec& indices, arma::Mat<Real>& X) {
  static_assert(std::is_floating_point_v<Real>, "gather_batch converts to float or double");
  const arma::uword d = images.pixels.n_rows;
  if (X.n_rows != d || X.n_cols != indices.n_elem) X.set_size(d, indices.n_elem);
  for (arma::uword j = 0; j < indices.n_elem; ++j) {
    const arma::uword i = indices[j];
    if (i >= images.count())
      throw std::out_of_range("gather_batch: image index " + std::to_string(i) +
                              " is out of range (there are " + std::to_string(images.count()) +
                              " images)");
    // Real(k) / Real(255) is an IEEE division, rounded exactly as PyTorch's x / 255.0 is, for
    // every byte k. The compiler turns this loop into vector instructions (16 bytes to 16
    // values per few instructions); a 256-entry lookup table, also exact, took twice as
    // long (bench/README.md). Multiplying by Real(1) / Real(255) instead would be faster still,
    // and differ in the last bit for 126 of the 256 values.
    const unsigned char* from = images.pixels.colptr(i);
    Real* to = X.colptr(j);
    for (arma::uword p = 0; p < d; ++p)
      to[p] = static_cast<Real>(from[p]) / static_cast<Real>(255);
  }
}

}  // namespace nn
