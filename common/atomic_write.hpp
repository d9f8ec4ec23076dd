// atomic_write.hpp: write a whole file or nothing.
//
// The content goes to PATH.part first and is renamed to PATH only once it is complete,
// so an interrupted or failed run never leaves a half-written figure, CSV or model.
#pragma once

#include <string>

namespace nn {

// Throws std::runtime_error naming PATH when it cannot be written.
void write_file_atomically(const std::string& path, const std::string& content);

}  // namespace nn
