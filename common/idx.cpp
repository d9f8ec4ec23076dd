#include "common/idx.hpp"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "common/input_file.hpp"

namespace nn {

namespace {

// ---------------------------------------------------------------------------------------
// Where the bytes come from: memory, or a file through zlib. The parser below reads both
// the same way, so the fuzz target (memory) exercises the code that loads files.
// ---------------------------------------------------------------------------------------

class ByteSource {
 public:
  explicit ByteSource(std::string name) : name_(std::move(name)) {}
  virtual ~ByteSource() = default;

  // Reads up to n bytes into to; fewer only at the end of the data.
  virtual std::size_t read(std::uint8_t* to, std::size_t n) = 0;
  // How many bytes are left, when that is known without reading them.
  virtual std::optional<std::uint64_t> remaining() const = 0;
  // Called once everything has been read; throws if the source reports a late error.
  virtual void finish() {}

  // The error for this source: "<name>: <what>".
  DataError error(const std::string& what) const { return DataError(name_ + ": " + what); }

 private:
  std::string name_;
};

class MemorySource : public ByteSource {
 public:
  MemorySource(const std::uint8_t* bytes, std::size_t size, std::string name)
      : ByteSource(std::move(name)), bytes_(bytes), size_(size) {}

  std::size_t read(std::uint8_t* to, std::size_t n) override {
    const std::size_t k = std::min(n, size_ - at_);
    if (k > 0) std::memcpy(to, bytes_ + at_, k);
    at_ += k;
    return k;
  }
  std::optional<std::uint64_t> remaining() const override { return size_ - at_; }

 private:
  const std::uint8_t* bytes_;
  std::size_t size_, at_ = 0;
};

// A .gz or plain file, through zlib. Every zlib call's result is checked: gzread's return
// value (-1 on error), gzerror after a short read (a .gz stream that stops early is
// Z_BUF_ERROR, not a clean end of file), and gzclose_r.
class GzFileSource : public ByteSource {
 public:
  explicit GzFileSource(const std::string& path) : ByteSource(path), path_(path) {
    // Only a regular file: a FIFO would make gzopen wait forever, a folder or a device
    // gives errors that say nothing of what the path is.
    int fd = -1;
    try {
      fd = open_regular_file(path).release();
    } catch (const FileError& e) {
      throw error(e.what());
    }
    errno = 0;
    file_ = gzdopen(fd, "rb");  // closes fd on gzclose_r
    if (file_ == nullptr) ::close(fd);
    if (file_ == nullptr)
      throw error(std::string("cannot open: ") +
                  (errno != 0 ? std::strerror(errno) : "out of memory"));
    // Fewer, larger reads than zlib's default 8 KB buffer (this cannot fail before the
    // first read).
    gzbuffer(file_, 1 << 17);
  }
  ~GzFileSource() override {
    if (file_ != nullptr) gzclose_r(file_);  // only on an error path; finish() checks
  }
  GzFileSource(const GzFileSource&) = delete;
  GzFileSource& operator=(const GzFileSource&) = delete;

  std::size_t read(std::uint8_t* to, std::size_t n) override {
    std::size_t done = 0;
    while (done < n) {
      // gzread takes an unsigned and returns an int: read at most 1 GB per call.
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, 1u << 30));
      const int got = gzread(file_, to + done, chunk);
      if (got < 0) throw zlib_error();
      done += static_cast<std::size_t>(got);
      if (static_cast<unsigned>(got) < chunk) {  // the end, or an error zlib noted
        int code = Z_OK;
        gzerror(file_, &code);
        if (code != Z_OK) throw zlib_error();
        break;
      }
    }
    return done;
  }
  std::optional<std::uint64_t> remaining() const override { return std::nullopt; }

  void finish() override {
    const int code = gzclose_r(file_);
    file_ = nullptr;
    if (code == Z_BUF_ERROR)
      throw error("the gzip stream ends in the middle (the .gz file is truncated)");
    if (code != Z_OK) throw error("closing failed (zlib error " + std::to_string(code) + ")");
  }

 private:
  DataError zlib_error() const {
    int code = Z_OK;
    const char* message = gzerror(file_, &code);
    if (code == Z_BUF_ERROR)
      return error("the gzip stream ends in the middle (the .gz file is truncated)");
    if (code == Z_ERRNO) return error(std::string("read error: ") + std::strerror(errno));
    // zlib's message reads "<path>: <what>"; ours starts with the path already.
    std::string what = message != nullptr && *message != '\0' ? message : "unknown error";
    const std::string prefix = path_ + ": ";
    if (what.compare(0, prefix.size(), prefix) == 0) what.erase(0, prefix.size());
    return error("corrupt gzip data (zlib: " + what + ")");
  }

  std::string path_;
  gzFile file_ = nullptr;
};

// ---------------------------------------------------------------------------------------
// The IDX parser
// ---------------------------------------------------------------------------------------

struct Header {
  std::array<std::uint64_t, 3> dims{};  // the first n_dims are used
  std::uint64_t n_elements = 1;
};

std::string hex_byte(std::uint8_t b) {
  char s[8];
  std::snprintf(s, sizeof s, "%02x", b);
  return s;
}

const char* idx_type_name(std::uint8_t code) {
  switch (code) {
    case 0x08: return "unsigned byte";
    case 0x09: return "signed byte";
    case 0x0B: return "16-bit integer";
    case 0x0C: return "32-bit integer";
    case 0x0D: return "32-bit float";
    case 0x0E: return "64-bit float";
    default: return "not an IDX type";
  }
}

// Reads and checks the magic number and the sizes. `what` is "images" or "labels".
Header read_header(ByteSource& in, unsigned n_dims, const std::string& what,
                   const std::string& dims_meaning) {
  std::uint8_t magic[4] = {};
  const std::size_t got = in.read(magic, 4);
  if (got < 4)
    throw in.error("not an IDX file: it is " + std::to_string(got) +
                   " bytes long, shorter than the 4-byte magic number");
  if (magic[0] != 0 || magic[1] != 0) {
    const bool gzip = magic[0] == 0x1f && magic[1] == 0x8b;
    throw in.error(
        "not an IDX file: it starts with the bytes " + hex_byte(magic[0]) + " " +
        hex_byte(magic[1]) + ", not 00 00" +
        (gzip ? " (it is still gzip data after decompressing: compressed twice?)" : ""));
  }
  if (magic[2] != 0x08)
    throw in.error("IDX element type 0x" + hex_byte(magic[2]) + " (" + idx_type_name(magic[2]) +
                   "); only type 0x08 (unsigned byte) is supported");
  if (magic[3] != n_dims) {
    const char* hint = magic[3] == 1   ? "; this looks like a file of labels"
                       : magic[3] == 3 ? "; this looks like a file of images"
                                       : "";
    throw in.error("the header announces " + std::to_string(magic[3]) +
                   " dimension(s); an IDX file of " + what + " has " + std::to_string(n_dims) +
                   " (" + dims_meaning + ")" + hint);
  }

  std::uint8_t sizes[12] = {};
  const std::size_t got_sizes = in.read(sizes, 4 * n_dims);
  if (got_sizes < 4 * n_dims)
    throw in.error("truncated header: it ends after " + std::to_string(4 + got_sizes) +
                   " of its " + std::to_string(4 + 4 * n_dims) + " bytes");
  Header h;
  std::string shape;
  for (unsigned k = 0; k < n_dims; ++k) {
    const std::uint8_t* b = sizes + 4 * k;
    h.dims[k] = (std::uint64_t{b[0]} << 24) | (std::uint64_t{b[1]} << 16) |
                (std::uint64_t{b[2]} << 8) | std::uint64_t{b[3]};
    shape += (k > 0 ? " x " : "") + std::to_string(h.dims[k]);
  }
  for (unsigned k = 0; k < n_dims; ++k) {
    if (h.dims[k] == 0)
      throw in.error("the header announces " + shape + " (" + dims_meaning +
                     "): a size of 0 leaves nothing to learn from");
    // n_elements <= kMaxIdxElements < 2^27 and dims[k] < 2^32: the product fits in 64
    // bits, and the check comes before the next multiplication.
    h.n_elements *= h.dims[k];
    if (h.n_elements > kMaxIdxElements)
      throw in.error("the header announces " + shape + " (" + dims_meaning +
                     "), more than the " + std::to_string(kMaxIdxElements) +
                     " elements this loader accepts (kMaxIdxElements)");
  }
  return h;
}

// Reads exactly n data bytes into `to` (allocated by the caller for n), then checks that
// nothing follows them and that the source closes cleanly.
void read_payload(ByteSource& in, const Header& h, std::uint8_t* to) {
  const std::uint64_t n = h.n_elements;
  const std::size_t got = in.read(to, n);
  if (got < n)
    throw in.error("truncated: the header announces " + std::to_string(n) +
                   " data bytes, but only " + std::to_string(got) + " follow it");
  std::uint64_t extra = 0;
  std::uint8_t buf[4096];
  for (std::size_t k; (k = in.read(buf, sizeof buf)) > 0;) extra += k;
  if (extra > 0)
    throw in.error(std::to_string(extra) + " trailing byte(s) after the " + std::to_string(n) +
                   " data bytes the header announces");
  in.finish();
}

// When the size of the rest is known (memory), a wrong length is found before allocating.
void check_length_early(const ByteSource& in, const Header& h) {
  const std::optional<std::uint64_t> left = in.remaining();
  if (!left || *left == h.n_elements) return;
  if (*left < h.n_elements)
    throw in.error("truncated: the header announces " + std::to_string(h.n_elements) +
                   " data bytes, but only " + std::to_string(*left) + " follow it");
  throw in.error(std::to_string(*left - h.n_elements) + " trailing byte(s) after the " +
                 std::to_string(h.n_elements) + " data bytes the header announces");
}

Images read_images(ByteSource& in) {
  const Header h = read_header(in, 3, "images", "count x rows x columns");
  check_length_early(in, h);
  Images images;
  images.rows = h.dims[1];
  images.cols = h.dims[2];
  // The file stores each image row by row, one image after another: image i is rows*cols
  // consecutive bytes, exactly column i of a (rows*cols x count) column-major matrix.
  images.pixels.set_size(images.rows * images.cols, h.dims[0]);
  read_payload(in, h, images.pixels.memptr());
  return images;
}

arma::uvec read_labels(ByteSource& in, unsigned n_classes) {
  if (n_classes < 1 || n_classes > 256)
    throw std::invalid_argument("IDX labels: the number of classes must be 1..256, not " +
                                std::to_string(n_classes));
  const Header h = read_header(in, 1, "labels", "count");
  check_length_early(in, h);
  std::vector<std::uint8_t> bytes(h.n_elements);
  read_payload(in, h, bytes.data());
  arma::uvec labels(bytes.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] >= n_classes)
      throw in.error("label " + std::to_string(bytes[i]) + " of sample " + std::to_string(i) +
                     " is outside 0.." + std::to_string(n_classes - 1));
    labels[i] = bytes[i];
  }
  return labels;
}

}  // namespace

Images parse_idx_images(const std::uint8_t* bytes, std::size_t size,
                        const std::string& source) {
  MemorySource in(bytes, size, source);
  return read_images(in);
}

arma::uvec parse_idx_labels(const std::uint8_t* bytes, std::size_t size, unsigned n_classes,
                            const std::string& source) {
  MemorySource in(bytes, size, source);
  return read_labels(in, n_classes);
}

Images load_idx_images(const std::string& path) {
  GzFileSource in(path);
  return read_images(in);
}

arma::uvec load_idx_labels(const std::string& path, unsigned n_classes) {
  GzFileSource in(path);
  return read_labels(in, n_classes);
}

ImageDataset load_labelled_images(const std::string& images_path,
                                  const std::string& labels_path,
                                  std::vector<std::string> class_names) {
  ImageDataset d;
  d.images = load_idx_images(images_path);
  d.labels = load_idx_labels(labels_path, static_cast<unsigned>(class_names.size()));
  if (d.labels.n_elem != d.images.count())
    throw DataError(images_path + " holds " + std::to_string(d.images.count()) +
                    " images, but " + labels_path + " holds " +
                    std::to_string(d.labels.n_elem) + " labels: they are not a pair");
  d.class_names = std::move(class_names);
  return d;
}

std::string idx_file_in(const std::string& dir, const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path plain = fs::path(dir) / name;
  const fs::path gz = fs::path(dir) / (name + ".gz");
  std::error_code ec;
  if (fs::exists(plain, ec)) return plain.string();
  if (fs::exists(gz, ec)) return gz.string();
  throw DataError("no " + name + ".gz or " + name + " in " + dir +
                  (fs::is_directory(dir, ec) ? "" : " (no such folder)"));
}

std::vector<std::string> fashion_mnist_class_names() {
  return {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
}

ImageDataset load_fashion_mnist(const std::string& dir, Split split) {
  const std::string prefix = split == Split::train ? "train" : "t10k";
  const std::string images = idx_file_in(dir, prefix + "-images-idx3-ubyte");
  const std::string labels = idx_file_in(dir, prefix + "-labels-idx1-ubyte");
  return load_labelled_images(images, labels, fashion_mnist_class_names());
}

}  // namespace nn
