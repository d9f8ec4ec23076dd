// model_files.hpp: model files of the old format versions 1 and 2, for the tests and the
// fuzz seeds that check they are still read (common/model_file.hpp writes version 3 only).
#pragma once

#include <zlib.h>
#include <cstdint>
#include <cstring>
#include <string>

#include "common/model_file.hpp"

namespace nn::test {

// The bytes of a version 1 file for net (Dense layers only), written here as that format
// was: magic, 1, element type, L, the sizes n_0 ... n_L, L activation codes, then W_l
// (column by column) and b_l layer by layer, then the CRC-32 of everything before it.
template <typename Real>
std::string version1_model_bytes(const Network<Real>& net) {
  std::string b("NNMODEL\n");
  auto u32 = [&](std::uint32_t v) {
    for (int k = 0; k < 4; ++k) b += static_cast<char>((v >> (8 * k)) & 0xFF);
  };
  auto value = [&](Real v) {
    detail::Bits<Real> bits;
    std::memcpy(&bits, &v, sizeof v);
    for (unsigned k = 0; k < sizeof v; ++k) b += static_cast<char>((bits >> (8 * k)) & 0xFF);
  };
  u32(1);
  u32(sizeof(Real));
  u32(static_cast<std::uint32_t>(net.n_layers()));
  for (arma::uword n : net.layer_sizes()) u32(static_cast<std::uint32_t>(n));
  for (Activation g : net.activations()) u32(activation_code(g));
  for (std::size_t l = 0; l < net.n_layers(); ++l) {
    for (arma::uword i = 0; i < net.layer(l).W.n_elem; ++i) value(net.layer(l).W(i));
    for (arma::uword i = 0; i < net.layer(l).b.n_elem; ++i) value(net.layer(l).b(i));
  }
  const uLong crc = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(b.data()),
                          static_cast<uInt>(b.size()));
  u32(static_cast<std::uint32_t>(crc));
  return b;
}

// The bytes of a version 2 file for net (Dense, batch norm and dropout layers only): the
// version 3 file with the version set to 2, each layer record cut to its first three numbers
// (kind, n_l, activation), and the checksum computed again.
template <typename Real>
std::string version2_model_bytes(const Network<Real>& net) {
  const std::string v3 = model_to_bytes(net);
  const std::size_t n_layers = net.all_layers().size();
  std::string b = v3.substr(0, 24);
  b[8] = 2;  // the version, little-endian: 2 0 0 0
  for (std::size_t l = 0; l < n_layers; ++l) b += v3.substr(24 + 32 * l, 12);
  b += v3.substr(24 + 32 * n_layers, v3.size() - 4 - (24 + 32 * n_layers));
  const uLong crc = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(b.data()),
                          static_cast<uInt>(b.size()));
  for (int k = 0; k < 4; ++k) b += static_cast<char>((crc >> (8 * k)) & 0xFF);
  return b;
}

}  // namespace nn::test
