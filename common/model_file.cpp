#include "common/model_file.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace nn {

namespace {

// The format's activation codes. They are part of the file format, so they are written
// out here instead of taken from the enum's order, which may change.
struct ActivationCode {
  Activation g;
  std::uint32_t code;
};
constexpr ActivationCode kActivationCodes[] = {{Activation::identity, 0},
                                               {Activation::step, 1},
                                               {Activation::sigmoid, 2},
                                               {Activation::tanh, 3},
                                               {Activation::relu, 4}};

std::string hex32(std::uint32_t v) {
  char s[16];
  std::snprintf(s, sizeof s, "0x%08X", static_cast<unsigned>(v));
  return s;
}

}  // namespace

std::string element_type_name(std::uint32_t element_bytes) {
  if (element_bytes == 4) return "float32";
  if (element_bytes == 8) return "float64";
  return "unknown type " + std::to_string(element_bytes);
}

std::uint32_t activation_code(Activation g) {
  for (const ActivationCode& a : kActivationCodes)
    if (a.g == g) return a.code;
  throw ModelError("activation " + to_string(g) + " has no code in the model format");
}

Activation activation_from_code(std::uint32_t code) {
  for (const ActivationCode& a : kActivationCodes)
    if (a.code == code) return a.g;
  throw ModelError("unknown activation code " + std::to_string(code) +
                   " (expected 0 identity, 1 step, 2 sigmoid, 3 tanh or 4 relu)");
}

std::uint32_t model_checksum(const std::string& bytes, std::size_t length) {
  // zlib's crc32 takes at most 4 GB at a time (uInt); model files are far smaller.
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(length));
  return static_cast<std::uint32_t>(crc);
}

std::uint64_t stored_values(const LayerRecord& r) {
  const std::uint64_t n_in = r.n_inputs, n_out = r.n_outputs;
  switch (r.kind) {
    case LayerKind::dense: return n_out * (n_in + 1);  // W and b
    case LayerKind::batch_norm: return 4 * n_out + 2;  // gamma, beta, mean, var; eps, momentum
    case LayerKind::dropout: return 1;                 // p
    case LayerKind::convolution: {                     // W (F x k k C) and b (F)
      const std::uint64_t filters =
          n_out / (std::uint64_t{conv_output_side(r.image.height, r)} *
                   conv_output_side(r.image.width, r));
      return filters * (std::uint64_t{r.side} * r.side * r.image.channels + 1);
    }
    case LayerKind::max_pool: return 0;
  }
  throw ModelError("unknown layer kind");
}

std::string encode_model_header(std::uint32_t element_bytes,
                                const std::vector<LayerRecord>& layers) {
  if (element_bytes != 4 && element_bytes != 8)
    throw ModelError("cannot save parameters of " + std::to_string(element_bytes) + " bytes");
  if (layers.empty() || layers.size() > kMaxModelLayers)
    throw ModelError("cannot save " + std::to_string(layers.size()) +
                     " layers: the format holds 1 to " + std::to_string(kMaxModelLayers));
  auto check_units = [](arma::uword n) {
    if (n == 0 || n > kMaxModelUnits)
      throw ModelError("cannot save a layer of " + std::to_string(n) +
                       " units: the format holds 1 to " + std::to_string(kMaxModelUnits));
    return static_cast<std::uint32_t>(n);
  };
  std::string out(kModelMagic, sizeof kModelMagic);
  detail::append_u32(out, kModelFormatVersion);
  detail::append_u32(out, element_bytes);
  detail::append_u32(out, static_cast<std::uint32_t>(layers.size()));
  detail::append_u32(out, check_units(layers.front().n_inputs));
  for (const LayerRecord& r : layers) {
    const bool image = r.kind == LayerKind::convolution || r.kind == LayerKind::max_pool;
    detail::append_u32(out, static_cast<std::uint32_t>(r.kind));
    detail::append_u32(out, check_units(r.n_outputs));
    detail::append_u32(out, r.kind == LayerKind::dropout || r.kind == LayerKind::max_pool
                                ? 0
                                : activation_code(r.activation));
    detail::append_u32(out, image ? check_units(r.image.channels) : 0);
    detail::append_u32(out, image ? check_units(r.image.height) : 0);
    detail::append_u32(out, image ? check_units(r.image.width) : 0);
    detail::append_u32(out, image ? check_units(r.side) : 0);
    detail::append_u32(
        out, r.kind == LayerKind::convolution ? static_cast<std::uint32_t>(r.padding) : 0);
  }
  return out;
}

ModelHeader read_model_header(const std::string& bytes, const std::string& source) {
  auto fail = [&](const std::string& what) {
    return ModelError("model file '" + source + "': " + what);
  };
  const std::size_t n = bytes.size();
  // The magic bytes first: a file that is not a model at all gets told so, not that its
  // "version" is wrong.
  const std::size_t magic_seen = std::min(n, sizeof kModelMagic);
  if (std::memcmp(bytes.data(), kModelMagic, magic_seen) != 0)
    throw fail("not a model file (it does not start with the magic bytes NNMODEL)");
  auto need = [&](std::size_t offset, const std::string& field) {
    if (offset + 4 > n)
      throw fail("truncated: the file ends after " + std::to_string(n) +
                 " bytes, inside the header (" + field + ")");
    return detail::u32_at(bytes, offset);
  };
  if (n < sizeof kModelMagic)
    throw fail("truncated: the file ends after " + std::to_string(n) +
               " bytes, inside the magic bytes");

  ModelHeader h;
  h.version = need(8, "format version");
  if (h.version < kOldestModelFormatVersion || h.version > kModelFormatVersion)
    throw fail("format version " + std::to_string(h.version) +
               "; this program reads versions " + std::to_string(kOldestModelFormatVersion) +
               " to " + std::to_string(kModelFormatVersion));
  h.element_bytes = need(12, "element type");
  if (h.element_bytes != 4 && h.element_bytes != 8)
    throw fail("unknown element type " + std::to_string(h.element_bytes) +
               " (expected 4 = float32 or 8 = float64)");
  const std::uint32_t n_layers = need(16, "number of layers");
  if (n_layers == 0 || n_layers > kMaxModelLayers)
    throw fail("it announces " + std::to_string(n_layers) + " layers (expected 1 to " +
               std::to_string(kMaxModelLayers) + "): the header is damaged");
  auto units = [&](std::size_t offset, const std::string& name) {
    const std::uint32_t size = need(offset, "layer sizes");
    if (size == 0 || size > kMaxModelUnits)
      throw fail(name + " = " + std::to_string(size) + " is outside 1 to " +
                 std::to_string(kMaxModelUnits) + ": the header is damaged");
    return arma::uword{size};
  };
  auto activation = [&](std::size_t offset, std::uint32_t l) {
    const std::uint32_t code = need(offset, "activations");
    try {
      return activation_from_code(code);
    } catch (const ModelError& e) {
      throw fail("layer " + std::to_string(l + 1) + ": " + e.what());
    }
  };

  arma::uword n_in = units(20, "the input size n_0");
  h.layers.resize(n_layers);
  if (h.version == 1) {
    // Version 1: sizes n_0 ... n_L, then one activation per layer; Dense layers only.
    for (std::uint32_t l = 0; l < n_layers; ++l) {
      LayerRecord& r = h.layers[l];
      r.n_inputs = n_in;
      r.n_outputs = n_in =
          units(24 + 4 * std::size_t{l}, "layer size n_" + std::to_string(l + 1));
    }
    for (std::uint32_t l = 0; l < n_layers; ++l)
      h.layers[l].activation = activation(24 + 4 * std::size_t{n_layers + l}, l);
    h.parameters_offset = 24 + 8 * std::size_t{n_layers};
  } else {
    // Version 2: three numbers per layer, kinds 0 to 2; version 3: eight, kinds 0 to 4.
    const std::size_t record_bytes = h.version == 2 ? 12 : 32;
    const std::uint32_t last_kind =
        static_cast<std::uint32_t>(h.version == 2 ? LayerKind::dropout : LayerKind::max_pool);
    const char* kinds = h.version == 2
                            ? "0 dense, 1 batch norm or 2 dropout"
                            : "0 dense, 1 batch norm, 2 dropout, 3 convolution or 4 max pool";
    for (std::uint32_t l = 0; l < n_layers; ++l) {
      LayerRecord& r = h.layers[l];
      const std::string layer = "layer " + std::to_string(l + 1);
      const std::size_t at = 24 + record_bytes * std::size_t{l};
      const std::uint32_t kind = need(at, "layer kinds");
      if (kind > last_kind)
        throw fail(layer + ": unknown layer kind " + std::to_string(kind) + " (expected " +
                   kinds + ")");
      r.kind = static_cast<LayerKind>(kind);
      r.n_inputs = n_in;
      r.n_outputs = n_in = units(at + 4, layer + "'s size");
      const bool image = r.kind == LayerKind::convolution || r.kind == LayerKind::max_pool;
      if ((r.kind == LayerKind::batch_norm || r.kind == LayerKind::dropout) &&
          r.n_outputs != r.n_inputs)
        throw fail(layer + " (" + (r.kind == LayerKind::dropout ? "dropout" : "batch norm") +
                   ") has " + std::to_string(r.n_inputs) + " inputs but " +
                   std::to_string(r.n_outputs) + " outputs: the header is damaged");
      if (r.kind == LayerKind::dropout || r.kind == LayerKind::max_pool) {
        if (need(at + 8, "activations") != 0)
          throw fail(layer + " (" + (image ? "max pool" : "dropout") +
                     ") has an activation: the header is damaged");
      } else {
        r.activation = activation(at + 8, l);
      }
      if (h.version == 2) continue;
      if (!image) {
        for (std::size_t field = 12; field < 32; field += 4)
          if (need(at + field, "layer shapes") != 0)
            throw fail(layer + " (" +
                       (r.kind == LayerKind::dense ? "dense" : "batch norm or dropout") +
                       ") has an image shape: the header is damaged");
        continue;
      }
      // Convolution and max pool: the image shape, the side and the padding, consistent
      // with the layer's sizes, so that building the layer cannot fail.
      const bool conv = r.kind == LayerKind::convolution;
      const std::string what = layer + (conv ? " (convolution)" : " (max pool)");
      r.image.channels = units(at + 12, what + "'s image channels");
      r.image.height = units(at + 16, what + "'s image height");
      r.image.width = units(at + 20, what + "'s image width");
      r.side = units(at + 24, what + (conv ? "'s filter side k" : "'s window side"));
      r.padding = need(at + 28, "layer shapes");
      // Each factor is at most 2^16, so the product (at most 2^48) cannot overflow.
      if (r.image.size() != r.n_inputs)
        throw fail(what + ": its " + to_string(r.image) + " image has " +
                   std::to_string(r.image.size()) + " values, but its input has " +
                   std::to_string(r.n_inputs) + ": the header is damaged");
      const auto damaged = [&](const std::string& why) {
        return fail(what + ": " + why + ": the header is damaged");
      };
      if (conv) {
        if (r.padding >= r.side)
          throw damaged("padding p = " + std::to_string(r.padding) +
                        " is not less than the filter side k = " + std::to_string(r.side));
        if (r.side > r.image.height + 2 * r.padding || r.side > r.image.width + 2 * r.padding)
          throw damaged("a " + std::to_string(r.side) + " x " + std::to_string(r.side) +
                        " filter does not fit the padded image");
        if (std::uint64_t{r.side} * r.side * r.image.channels + 1 > kMaxModelParameters)
          throw damaged("one filter would have more than " +
                        std::to_string(kMaxModelParameters) + " weights");
        const arma::uword maps =
            conv_output_side(r.image.height, r) * conv_output_side(r.image.width, r);
        if (r.n_outputs % maps != 0)
          throw damaged("its " + std::to_string(r.n_outputs) +
                        " outputs are not a whole number of feature maps of " +
                        std::to_string(maps) + " pixels");
      } else {
        if (r.padding != 0) throw damaged("a max pool has no padding");
        if (r.image.height % r.side != 0 || r.image.width % r.side != 0)
          throw damaged(std::to_string(r.side) + " x " + std::to_string(r.side) +
                        " windows do not tile the " + to_string(r.image) + " image");
        const arma::uword outputs =
            r.image.channels * (r.image.height / r.side) * (r.image.width / r.side);
        if (r.n_outputs != outputs)
          throw damaged("it has " + std::to_string(r.n_outputs) + " outputs, not " +
                        std::to_string(outputs));
      }
    }
    h.parameters_offset = 24 + record_bytes * std::size_t{n_layers};
  }

  // With every size at most 2^16 and at most 64 layers, the sum fits easily in 64 bits.
  for (LayerRecord& r : h.layers) {
    r.n_values = stored_values(r);
    h.n_values += r.n_values;
  }
  if (h.n_values > kMaxModelParameters)
    throw fail("it announces " + std::to_string(h.n_values) +
               " stored values, more than the limit of " + std::to_string(kMaxModelParameters) +
               ": the header is damaged");
  const std::uint64_t expected = h.parameters_offset + h.n_values * h.element_bytes + 4;
  const std::string announced = "its header announces " + std::to_string(h.n_values) + " " +
                                element_type_name(h.element_bytes) +
                                " values, so it should have " + std::to_string(expected) +
                                " bytes, but it has " + std::to_string(n);
  if (n < expected) throw fail("truncated: " + announced);
  if (n > expected) throw fail("trailing bytes after the checksum: " + announced);
  const std::uint32_t stored = detail::u32_at(bytes, n - 4);
  const std::uint32_t computed = model_checksum(bytes, n - 4);
  if (stored != computed)
    throw fail("checksum mismatch (stored " + hex32(stored) + ", computed " + hex32(computed) +
               "): the file is damaged");
  return h;
}

std::string read_model_file(const std::string& path) {
  namespace fs = std::filesystem;
  auto fail = [&](const std::string& what) {
    return ModelError("model file '" + path + "': " + what);
  };
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) throw fail("no such file");
  if (!fs::is_regular_file(status)) throw fail("not a regular file");
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) throw fail("cannot read its size: " + ec.message());
  if (size > kMaxModelFileBytes)
    throw fail("it has " + std::to_string(size) + " bytes, more than any model file (at most " +
               std::to_string(kMaxModelFileBytes) + ")");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) throw fail(std::string("cannot open it: ") + std::strerror(errno));
  std::string bytes(static_cast<std::size_t>(size), '\0');
  const std::size_t got = std::fread(bytes.data(), 1, bytes.size(), file.get());
  if (got != bytes.size() || std::ferror(file.get()))
    throw fail("read error after " + std::to_string(got) + " of " + std::to_string(size) +
               " bytes");
  if (std::fgetc(file.get()) != EOF) throw fail("it grew while being read");
  return bytes;
}

}  // namespace nn
