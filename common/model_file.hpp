// model_file.hpp: save a trained network to a file and load it back, trusting nothing.
//
// Training chapter 09's network takes seconds; using it should not. save_model writes the
// architecture and every parameter into one small binary file, load_model rebuilds the
// same network from it, and the loaded network computes bit for bit the same outputs.
//
//   nn::save_model("fashion.nnm", net);                        // Network<float> net
//   nn::Network<float> again = nn::load_model<float>("fashion.nnm");
//
// The format, version 1 (the extension .nnm is a convention, nothing checks it). Every
// integer is an unsigned 32-bit number and every parameter an IEEE 754 number, both stored
// little-endian (least significant byte first) whatever the machine:
//
// [listing format]
//   offset            bytes             field
//   0                 8                 magic: the characters NNMODEL and a line feed
//                                       (4E 4E 4D 4F 44 45 4C 0A), so `head -c 7 FILE` says
//                                       what the file is
//   8                 4                 format version: 1
//   12                4                 element type, the bytes per parameter: 4 = float32,
//                                       8 = float64
//   16                4                 n_layers, the number of layers (1 to kMaxModelLayers)
//   20                4 (n_layers + 1)  the layer sizes n_0 (inputs), n_1, ..., n_{n_layers}
//                                       (outputs), each 1 to kMaxModelUnits
//   24 + 4 n_layers   4 n_layers        each layer's activation: 0 identity, 1 step,
//                                       2 sigmoid, 3 tanh, 4 relu (fixed here, whatever the
//                                       enum's order)
//   24 + 8 n_layers   ...               the parameters, layer 1 first: W_l (n_l x n_{l-1})
//                                       column by column (Armadillo's order), then b_l (n_l)
//   last 4 bytes      4                 CRC-32 of every byte before it (zlib's crc32, the
//                                       checksum of gzip and PNG)
// [end format]
//
// For 784-256-128-10 in float32 that is 48 bytes of header, 235,146 x 4 bytes of
// parameters and the checksum: 940,636 bytes.
//
// A file can be truncated, damaged, of another version or not a model at all. load_model
// checks everything before it believes anything, and each failure is one nn::ModelError
// whose message names the file and what is wrong:
//   - the file's length is capped before it is read (kMaxModelFileBytes);
//   - magic bytes, version, element type (and that it is the Real asked for);
//   - the number of layers and every size within their caps, so a damaged size cannot
//     make the loader allocate gigabytes; the total number of parameters is capped too;
//   - every activation code known;
//   - exactly the length the header announces (a truncated file and one with trailing
//     bytes are both rejected);
//   - the checksum (a flipped bit anywhere);
//   - every parameter finite (a NaN weight would only give NaN predictions).
// Matrices are allocated only after all of that has passed. save_model refuses to write
// what load_model would refuse to read, and writes through write_file_atomically, so a
// failed save never leaves half a model behind.
#pragma once

#include <armadillo>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "common/activation.hpp"
#include "common/atomic_write.hpp"
#include "common/network.hpp"

namespace nn {

// A model file that cannot be used: missing, unreadable, damaged, or not what was asked.
struct ModelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline constexpr std::uint32_t kModelFormatVersion = 1;
inline constexpr char kModelMagic[8] = {'N', 'N', 'M', 'O', 'D', 'E', 'L', '\n'};

// The caps a header must respect. Chapter 09's network (784-256-128-10, 235,146
// parameters) is far inside all of them.
inline constexpr std::uint32_t kMaxModelLayers = 64;
inline constexpr std::uint32_t kMaxModelUnits = 65'536;           // per layer
inline constexpr std::uint64_t kMaxModelParameters = 16'777'216;  // 2^24: 64 MB of float32
// The longest file that could pass: the largest header, every parameter as float64, CRC.
inline constexpr std::uint64_t kMaxModelFileBytes =
    24 + 8 * std::uint64_t{kMaxModelLayers} + 8 * kMaxModelParameters + 4;

// What a model file's header says, once every check on the whole file has passed.
struct ModelHeader {
  std::uint32_t version = 0;
  std::uint32_t element_bytes = 0;      // 4 float32, 8 float64
  std::vector<arma::uword> sizes;       // n_0 (inputs) ... n_L (outputs)
  std::vector<Activation> activations;  // one per layer
  std::uint64_t n_parameters = 0;       // sum over layers of n_l (n_{l-1} + 1)
  std::size_t parameters_offset = 0;    // where W_1 starts
};

// "float32" for 4, "float64" for 8.
std::string element_type_name(std::uint32_t element_bytes);

// The activation codes of the format (0 identity ... 4 relu) and back; throws ModelError
// for an unknown code.
std::uint32_t activation_code(Activation g);
Activation activation_from_code(std::uint32_t code);

// Checks a whole model file held in memory (everything in the list above but the values
// themselves) and returns its header. `source` names the file in error messages.
ModelHeader read_model_header(const std::string& bytes, const std::string& source);

// The header bytes (magic to activations) for a network of these sizes and activations.
std::string encode_model_header(std::uint32_t element_bytes,
                                const std::vector<arma::uword>& sizes,
                                const std::vector<Activation>& activations);

// The CRC-32 of bytes [0, length).
std::uint32_t model_checksum(const std::string& bytes, std::size_t length);

// Reads a whole file of at most kMaxModelFileBytes (ModelError otherwise, naming it).
std::string read_model_file(const std::string& path);

namespace detail {

inline void append_u32(std::string& out, std::uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out += static_cast<char>((v >> shift) & 0xFF);
}

inline std::uint32_t u32_at(const std::string& bytes, std::size_t offset) {
  std::uint32_t v = 0;
  for (int k = 3; k >= 0; --k) v = (v << 8) | static_cast<unsigned char>(bytes[offset + k]);
  return v;
}

// The unsigned integer with the same bits as a float (32) or a double (64).
template <typename Real>
using Bits = std::conditional_t<sizeof(Real) == 4, std::uint32_t, std::uint64_t>;

template <typename Real>
void append_value(std::string& out, Real value) {
  Bits<Real> bits;
  std::memcpy(&bits, &value, sizeof bits);
  for (unsigned shift = 0; shift < 8 * sizeof bits; shift += 8)
    out += static_cast<char>((bits >> shift) & 0xFF);
}

template <typename Real>
Real value_at(const std::string& bytes, std::size_t offset) {
  Bits<Real> bits = 0;
  for (std::size_t k = sizeof bits; k-- > 0;)
    bits = (bits << 8) | static_cast<unsigned char>(bytes[offset + k]);
  Real value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// "W2(3, 17)": layer numbers from 1 as in the math, row and column from 0 as in the code.
inline std::string parameter_name(const char* what, std::size_t layer, arma::uword row,
                                  arma::uword col) {
  return std::string(what) + std::to_string(layer + 1) + "(" + std::to_string(row) +
         (what[0] == 'W' ? ", " + std::to_string(col) : std::string()) + ")";
}

}  // namespace detail

// The bytes of a model file for net. Throws ModelError for a network with no layers, one
// beyond the caps, or a parameter that is not finite.
template <typename Real>
std::string model_to_bytes(const Network<Real>& net) {
  static_assert(std::is_same_v<Real, float> || std::is_same_v<Real, double>,
                "model files hold float32 or float64 parameters");
  if (net.n_layers() == 0) throw ModelError("cannot save a network without layers");
  if (net.n_parameters() > kMaxModelParameters)
    throw ModelError("cannot save a network of " + std::to_string(net.n_parameters()) +
                     " parameters: the format's limit is " +
                     std::to_string(kMaxModelParameters));
  std::string out = encode_model_header(sizeof(Real), net.layer_sizes(), net.activations());
  out.reserve(out.size() + net.n_parameters() * sizeof(Real) + 4);
  for (std::size_t l = 0; l < net.n_layers(); ++l) {
    const Dense<Real>& layer = net.layer(l);
    for (arma::uword c = 0; c < layer.W.n_cols; ++c)
      for (arma::uword r = 0; r < layer.W.n_rows; ++r) {
        if (!std::isfinite(layer.W(r, c)))
          throw ModelError("cannot save: " + detail::parameter_name("W", l, r, c) +
                           " is not finite");
        detail::append_value(out, layer.W(r, c));
      }
    for (arma::uword r = 0; r < layer.b.n_elem; ++r) {
      if (!std::isfinite(layer.b(r)))
        throw ModelError("cannot save: " + detail::parameter_name("b", l, r, 0) +
                         " is not finite");
      detail::append_value(out, layer.b(r));
    }
  }
  detail::append_u32(out, model_checksum(out, out.size()));
  return out;
}

// [listing load]
// The network a model file holds, from its bytes. `source` names it in error messages.
template <typename Real>
Network<Real> model_from_bytes(const std::string& bytes, const std::string& source) {
  static_assert(std::is_same_v<Real, float> || std::is_same_v<Real, double>,
                "model files hold float32 or float64 parameters");
  const ModelHeader header = read_model_header(bytes, source);
  if (header.element_bytes != sizeof(Real))
    throw ModelError("model file '" + source + "': it holds " +
                     element_type_name(header.element_bytes) + " parameters, but a " +
                     element_type_name(sizeof(Real)) + " network was asked for");
  // Every check on the file has passed: only now are the matrices allocated.
  Network<Real> net(header.sizes, header.activations);
  std::size_t at = header.parameters_offset;
  auto next = [&](const char* what, std::size_t l, arma::uword r, arma::uword c) {
    const Real v = detail::value_at<Real>(bytes, at);
    at += sizeof(Real);
    if (!std::isfinite(v))
      throw ModelError("model file '" + source + "': parameter " +
                       detail::parameter_name(what, l, r, c) + " is " +
                       (std::isnan(v) ? "NaN" : "infinite"));
    return v;
  };
  for (std::size_t l = 0; l < net.n_layers(); ++l) {
    Dense<Real>& layer = net.layer(l);
    for (arma::uword c = 0; c < layer.W.n_cols; ++c)
      for (arma::uword r = 0; r < layer.W.n_rows; ++r) layer.W(r, c) = next("W", l, r, c);
    for (arma::uword r = 0; r < layer.b.n_elem; ++r) layer.b(r) = next("b", l, r, 0);
  }
  return net;
}
// [end load]

// Writes net to path (through PATH.part, renamed when complete). Throws ModelError for a
// network the format cannot hold, std::runtime_error naming path when it cannot be written.
template <typename Real>
void save_model(const std::string& path, const Network<Real>& net) {
  std::string bytes;
  try {
    bytes = model_to_bytes(net);
  } catch (const ModelError& e) {
    throw ModelError("model file '" + path + "': " + e.what());
  }
  write_file_atomically(path, bytes);
}

// Loads the network saved in path; throws ModelError naming path when anything is wrong.
template <typename Real>
Network<Real> load_model(const std::string& path) {
  return model_from_bytes<Real>(read_model_file(path), path);
}

}  // namespace nn
