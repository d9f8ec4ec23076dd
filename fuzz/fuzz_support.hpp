// fuzz_support.hpp: what the fuzz targets share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/model_file.hpp"

namespace fuzz {

// What a successful parse promises, checked on every input that gets through: a broken
// promise is a finding (the target traps, libFuzzer saves the input).
inline void check(bool promise) {
  if (!promise) __builtin_trap();
}

// The bytes as a model file whose last 4 bytes are the right CRC-32 of the rest. Without
// this, nearly every mutation would stop at the checksum, and the code after it (the
// parameters, the network built from them) would never be reached.
inline std::string with_valid_checksum(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  if (bytes.size() < 4) return bytes;
  const std::uint32_t crc = nn::model_checksum(bytes, bytes.size() - 4);
  for (int k = 0; k < 4; ++k)
    bytes[bytes.size() - 4 + k] = static_cast<char>((crc >> (8 * k)) & 0xFF);
  return bytes;
}

}  // namespace fuzz
