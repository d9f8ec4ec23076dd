// input_file.hpp: open a file named by the user for reading, only if it is a regular file.
//
// A path on the command line can name anything: a folder, /dev/zero (endless), a FIFO
// (reading it waits forever for a writer), a loop of symbolic links, a file we may not
// read. open_regular_file opens it without blocking (O_NONBLOCK) and then asks the open
// file itself what it is (fstat), so there is no gap between the check and the use. Each
// refusal is one FileError whose message says what the path is, without the path: the
// caller puts it in its own message ("model file 'x.nnm': a folder, not a file").
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace nn {

struct FileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// An open file descriptor, closed when it goes out of scope.
class InputFile {
 public:
  explicit InputFile(int fd) : fd_(fd) {}
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  int fd() const { return fd_; }
  int release();  // the descriptor, no longer closed here
  std::uintmax_t size() const;

 private:
  int fd_;
};

// Opens path for reading; throws FileError unless it is a regular file that can be read.
InputFile open_regular_file(const std::string& path);

// The whole content of a regular file of at most max_bytes (FileError otherwise).
std::string read_regular_file(const std::string& path, std::uintmax_t max_bytes);

}  // namespace nn
