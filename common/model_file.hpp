// model_file.hpp: save a trained network to a file and load it back, trusting nothing.
//
// Training chapter 09's network takes seconds; using it should not. save_model writes the
// architecture and every parameter into one small binary file, load_model rebuilds the
// same network from it, and the loaded network computes bit for bit the same outputs.
//
//   nn::save_model("fashion.nnm", net);                        // Network<float> net
//   nn::Network<float> again = nn::load_model<float>("fashion.nnm");
//
// The format, version 2 (the extension .nnm is a convention, nothing checks it). Every
// integer is an unsigned 32-bit number and every parameter an IEEE 754 number, both stored
// little-endian (least significant byte first) whatever the machine:
//
// [listing format]
//   offset            bytes             field
//   0                 8                 magic: the characters NNMODEL and a line feed
//                                       (4E 4E 4D 4F 44 45 4C 0A), so `head -c 7 FILE` says
//                                       what the file is
//   8                 4                 format version: 2
//   12                4                 element type, the bytes per parameter: 4 = float32,
//                                       8 = float64
//   16                4                 L, the number of layers of every kind (1 to
//                                       kMaxModelLayers)
//   20                4                 n_0, the network's inputs (1 to kMaxModelUnits)
//   24                12 L              per layer, three numbers: its kind (0 dense,
//                                       1 batch norm, 2 dropout), its outputs n_l (1 to
//                                       kMaxModelUnits; a batch-norm or dropout layer has
//                                       as many as inputs) and its activation (0 identity,
//                                       1 step, 2 sigmoid, 3 tanh, 4 relu; 0 for dropout)
//   24 + 12 L         ...               the parameters, layer 1 first:
//                                         dense       W_l (n_l x n_{l-1}) column by column
//                                                     (Armadillo's order), then b_l (n_l)
//                                         batch norm  gamma, beta, running mean, running
//                                                     variance (n_l each), epsilon, momentum
//                                         dropout     p, the probability of dropping a unit
//   last 4 bytes      4                 CRC-32 of every byte before it (zlib's crc32, the
//                                       checksum of gzip and PNG)
// [end format]
//
// For 784-256-128-10 in float32 that is 60 bytes of header, 235,146 x 4 bytes of
// parameters and the checksum: 940,648 bytes.
//
// Version 1 (chapter 09 before chapter 11 existed) held Dense layers only: after the
// layer count, the sizes n_0 ... n_L, then one activation per layer, then the parameters
// as above. load_model still reads it; save_model writes version 2.
//
// A file can be truncated, damaged, of another version or not a model at all. load_model
// checks everything before it believes anything, and each failure is one nn::ModelError
// whose message names the file and what is wrong:
//   - the file's length is capped before it is read (kMaxModelFileBytes);
//   - magic bytes, version, element type (and that it is the Real asked for);
//   - the number of layers and every size within their caps (and a batch-norm or dropout
//     layer as wide as its input), so a damaged size cannot
//     make the loader allocate gigabytes; the total number of parameters is capped too;
//   - every layer kind and activation code known;
//   - exactly the length the header announces (a truncated file and one with trailing
//     bytes are both rejected);
//   - the checksum (a flipped bit anywhere);
//   - every parameter finite (a NaN weight would only give NaN predictions), and
//     batch norm's variances >= 0, its epsilon > 0, its momentum and dropout's p in range.
// Matrices are allocated only after all of that has passed. save_model refuses to write
// what load_model would refuse to read, and writes through write_file_atomically, so a
// failed save never leaves half a model behind.
#pragma once

#include <armadillo>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "common/activation.hpp"
#include "common/atomic_write.hpp"
#include "common/network.hpp"

namespace nn {

// A model file that cannot be used: missing, unreadable, damaged, or not what was asked.
struct ModelError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

inline constexpr std::uint32_t kModelFormatVersion = 2;        // what save_model writes
inline constexpr std::uint32_t kOldestModelFormatVersion = 1;  // the oldest load_model reads
inline constexpr char kModelMagic[8] = {'N', 'N', 'M', 'O', 'D', 'E', 'L', '\n'};

// The caps a header must respect. Chapter 09's network (784-256-128-10, 235,146
// parameters) is far inside all of them. kMaxModelParameters caps the numbers stored
// (batch norm's running statistics count too).
inline constexpr std::uint32_t kMaxModelLayers = 64;
inline constexpr std::uint32_t kMaxModelUnits = 65'536;           // per layer
inline constexpr std::uint64_t kMaxModelParameters = 16'777'216;  // 2^24: 64 MB of float32
// The longest file that could pass: the largest header, every parameter as float64, CRC.
inline constexpr std::uint64_t kMaxModelFileBytes =
    24 + 12 * std::uint64_t{kMaxModelLayers} + 8 * kMaxModelParameters + 4;

// The kinds of layer a model file can hold, with their codes in the format.
enum class LayerKind : std::uint32_t { dense = 0, batch_norm = 1, dropout = 2 };

// One layer as a model file's header describes it.
struct LayerRecord {
  LayerKind kind = LayerKind::dense;
  arma::uword n_inputs = 0, n_outputs = 0;
  Activation activation = Activation::identity;  // identity for dropout
  std::uint64_t n_values = 0;                    // the numbers stored for it (see the format)
};

// What a model file's header says, once every check on the whole file has passed.
struct ModelHeader {
  std::uint32_t version = 0;
  std::uint32_t element_bytes = 0;    // 4 float32, 8 float64
  std::vector<LayerRecord> layers;    // in order; layers[0].n_inputs is the network's input
  std::uint64_t n_values = 0;         // the sum of the layers' n_values
  std::size_t parameters_offset = 0;  // where the first layer's values start
};

// The numbers a layer of this kind and these sizes stores: n_out (n_in + 1) for dense,
// 4 n + 2 for batch norm, 1 for dropout.
std::uint64_t stored_values(LayerKind kind, std::uint64_t n_in, std::uint64_t n_out);

// "float32" for 4, "float64" for 8.
std::string element_type_name(std::uint32_t element_bytes);

// The activation codes of the format (0 identity ... 4 relu) and back; throws ModelError
// for an unknown code.
std::uint32_t activation_code(Activation g);
Activation activation_from_code(std::uint32_t code);

// Checks a whole model file held in memory (everything in the list above but the values
// themselves) and returns its header. `source` names the file in error messages.
ModelHeader read_model_header(const std::string& bytes, const std::string& source);

// The header bytes (magic to the last layer's record) of a version 2 file for these layers.
std::string encode_model_header(std::uint32_t element_bytes,
                                const std::vector<LayerRecord>& layers);

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

// The record of one layer (its kind, sizes and activation), for the header.
template <typename Real>
LayerRecord record_of(const Dense<Real>& x) {
  return {LayerKind::dense, x.n_inputs(), x.n_outputs(), x.activation(), 0};
}
template <typename Real>
LayerRecord record_of(const BatchNorm<Real>& x) {
  return {LayerKind::batch_norm, x.n_inputs(), x.n_outputs(), x.activation(), 0};
}
template <typename Real>
LayerRecord record_of(const Dropout<Real>& x) {
  return {LayerKind::dropout, x.n_inputs(), x.n_outputs(), Activation::identity, 0};
}
// Convolution and max-pool layers are not in the format yet (version 3 will hold them):
// saving a network that has one throws ModelError.
template <typename Real>
LayerRecord record_of(const Convolution<Real>&) {
  throw ModelError("model files do not store convolution layers yet");
}
template <typename Real>
LayerRecord record_of(const MaxPool<Real>&) {
  throw ModelError("model files do not store max-pool layers yet");
}

// A layer's stored numbers in the format's order, each passed to put(value, name) with a
// name like "W2(3, 17)" for messages.
template <typename Real, typename Put>
void for_each_value(const Dense<Real>& x, std::size_t number, Put put) {
  for (arma::uword c = 0; c < x.W.n_cols; ++c)
    for (arma::uword r = 0; r < x.W.n_rows; ++r)
      put(x.W(r, c), [=] { return detail::parameter_name("W", number, r, c); });
  for (arma::uword r = 0; r < x.b.n_elem; ++r)
    put(x.b(r), [=] { return detail::parameter_name("b", number, r, 0); });
}
template <typename Real, typename Put>
void for_each_value(const BatchNorm<Real>& x, std::size_t number, Put put) {
  const std::pair<const char*, const arma::Col<Real>*> vectors[] = {
      {"gamma", &x.gamma},
      {"beta", &x.beta},
      {"running_mean", &x.running_mean},
      {"running_var", &x.running_var}};
  for (const auto& named : vectors) {
    const char* what = named.first;  // (a lambda may not capture a structured binding in C++17)
    for (arma::uword r = 0; r < named.second->n_elem; ++r)
      put((*named.second)(r), [=] { return detail::parameter_name(what, number, r, 0); });
  }
  put(Real(x.epsilon()), [=] { return "epsilon" + std::to_string(number + 1); });
  put(Real(x.momentum()), [=] { return "momentum" + std::to_string(number + 1); });
}
template <typename Real, typename Put>
void for_each_value(const Dropout<Real>& x, std::size_t number, Put put) {
  put(Real(x.drop_probability()), [=] { return "p" + std::to_string(number + 1); });
}
template <typename Real, typename Put>
void for_each_value(const Convolution<Real>&, std::size_t, Put) {
  throw ModelError("model files do not store convolution layers yet");
}
template <typename Real, typename Put>
void for_each_value(const MaxPool<Real>&, std::size_t, Put) {
  throw ModelError("model files do not store max-pool layers yet");
}

// The bytes of a model file for net. Throws ModelError for a network with no layers, one
// beyond the caps, or a parameter that is not finite.
template <typename Real>
std::string model_to_bytes(const Network<Real>& net) {
  static_assert(std::is_same_v<Real, float> || std::is_same_v<Real, double>,
                "model files hold float32 or float64 parameters");
  if (net.all_layers().empty()) throw ModelError("cannot save a network without layers");
  std::vector<LayerRecord> records;
  std::uint64_t n_values = 0;
  for (const Layer<Real>& layer : net.all_layers()) {
    records.push_back(std::visit([](const auto& x) { return record_of(x); }, layer));
    n_values +=
        stored_values(records.back().kind, records.back().n_inputs, records.back().n_outputs);
  }
  if (n_values > kMaxModelParameters)
    throw ModelError("cannot save a network of " + std::to_string(n_values) +
                     " stored values: the format's limit is " +
                     std::to_string(kMaxModelParameters));
  std::string out = encode_model_header(sizeof(Real), records);
  out.reserve(out.size() + n_values * sizeof(Real) + 4);
  auto put = [&](Real value, auto name) {
    if (!std::isfinite(value)) throw ModelError("cannot save: " + name() + " is not finite");
    detail::append_value(out, value);
  };
  // Layers are numbered as in the math: a batch-norm or dropout layer takes the number
  // of the Dense layer before it (gamma2 normalises Z2).
  std::size_t dense_seen = 0;
  for (const Layer<Real>& layer : net.all_layers()) {
    if (std::holds_alternative<Dense<Real>>(layer)) ++dense_seen;
    const std::size_t number = dense_seen == 0 ? 0 : dense_seen - 1;
    std::visit([&](const auto& x) { for_each_value(x, number, put); }, layer);
  }
  detail::append_u32(out, model_checksum(out, out.size()));
  return out;
}

namespace detail {

// Reads n values from bytes at `at` (advancing it) into v, each checked to be finite.
template <typename Real>
void read_values(const std::string& bytes, std::size_t& at, arma::Mat<Real>& v,
                 const std::string& source, const char* what, std::size_t number) {
  for (arma::uword c = 0; c < v.n_cols; ++c)
    for (arma::uword r = 0; r < v.n_rows; ++r) {
      const Real x = value_at<Real>(bytes, at);
      at += sizeof(Real);
      if (!std::isfinite(x))
        throw ModelError("model file '" + source + "': parameter " +
                         parameter_name(what, number, r, c) + " is " +
                         (std::isnan(x) ? "NaN" : "infinite"));
      v(r, c) = x;
    }
}

// One value (epsilon, momentum, p) that must lie in [low, high] (or (low, high] when
// low_open), named in the message.
template <typename Real>
double read_setting(const std::string& bytes, std::size_t& at, const std::string& source,
                    const std::string& name, double low, double high, bool low_open) {
  const double x = value_at<Real>(bytes, at);
  at += sizeof(Real);
  if (!(x <= high) || !(low_open ? x > low : x >= low))
    throw ModelError("model file '" + source + "': " + name + " = " + std::to_string(x) +
                     " is outside " + (low_open ? "(" : "[") + std::to_string(low) + ", " +
                     std::to_string(high) + "]");
  return x;
}

}  // namespace detail

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
  // Every check on the file's structure has passed: only now are matrices allocated.
  Network<Real> net;
  std::size_t at = header.parameters_offset;
  std::size_t dense_seen = 0;  // layers are numbered as in model_to_bytes
  for (std::size_t k = 0; k < header.layers.size(); ++k) {
    const LayerRecord& r = header.layers[k];
    const std::string which = std::to_string(k + 1);
    if (r.kind == LayerKind::dense) ++dense_seen;
    const std::size_t number = dense_seen == 0 ? 0 : dense_seen - 1;
    if (r.kind == LayerKind::dense) {
      Dense<Real> x(r.n_inputs, r.n_outputs, r.activation);
      detail::read_values(bytes, at, x.W, source, "W", number);
      detail::read_values(bytes, at, x.b, source, "b", number);
      net.add(std::move(x));
    } else if (r.kind == LayerKind::batch_norm) {
      arma::Col<Real> gamma(r.n_outputs), beta(r.n_outputs), mean(r.n_outputs),
          var(r.n_outputs);
      detail::read_values(bytes, at, gamma, source, "gamma", number);
      detail::read_values(bytes, at, beta, source, "beta", number);
      detail::read_values(bytes, at, mean, source, "running_mean", number);
      detail::read_values(bytes, at, var, source, "running_var", number);
      if (var.min() < 0)
        throw ModelError("model file '" + source + "': layer " + which +
                         " (batch norm) has a negative running variance");
      const double eps =
          detail::read_setting<Real>(bytes, at, source, "layer " + which + "'s epsilon", 0,
                                     std::numeric_limits<float>::max(), true);
      const double momentum = detail::read_setting<Real>(
          bytes, at, source, "layer " + which + "'s momentum", 0, 1, false);
      BatchNorm<Real> x(r.n_outputs, r.activation, momentum, eps);
      x.gamma = gamma;
      x.beta = beta;
      x.running_mean = mean;
      x.running_var = var;
      net.add(std::move(x));
    } else {
      const double p = detail::read_setting<Real>(
          bytes, at, source, "layer " + which + "'s dropout p", 0, 1, false);
      if (p >= 1)
        throw ModelError("model file '" + source + "': layer " + which +
                         " drops every unit (p = 1)");
      net.add(Dropout<Real>(r.n_outputs, p));
    }
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
