#include "common/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nn {

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

int InputFile::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

std::uintmax_t InputFile::size() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0)
    throw FileError(std::string("cannot stat: ") + std::strerror(errno));
  return static_cast<std::uintmax_t>(st.st_size);
}

InputFile open_regular_file(const std::string& path) {
  if (path.empty()) throw FileError("an empty file name");
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    const int e = errno;
    if (e == ENOENT) throw FileError("no such file");
    if (e == ELOOP) throw FileError("a loop of symbolic links");
    if (e == EACCES) throw FileError("permission denied");
    throw FileError(std::string("cannot open it: ") + std::strerror(e));
  }
  InputFile file(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    throw FileError(std::string("cannot stat: ") + std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw FileError("a folder, not a file");
  if (S_ISFIFO(st.st_mode)) throw FileError("a pipe (FIFO), not a regular file");
  if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
    throw FileError("a device, not a regular file");
  if (!S_ISREG(st.st_mode)) throw FileError("not a regular file");
  // Regular files never block; reads go back to the ordinary (blocking) mode.
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return InputFile(file.release());
}

std::string read_regular_file(const std::string& path, std::uintmax_t max_bytes) {
  InputFile file = open_regular_file(path);
  const std::uintmax_t size = file.size();
  if (size > max_bytes)
    throw FileError("it has " + std::to_string(size) + " bytes, more than the " +
                    std::to_string(max_bytes) + " expected at most");
  std::string bytes(static_cast<std::size_t>(size), '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got = ::read(file.fd(), bytes.data() + done, bytes.size() - done);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw FileError(std::string("read error: ") + std::strerror(errno));
    if (got == 0) throw FileError("it shrank while being read");
    done += static_cast<std::size_t>(got);
  }
  char extra;
  if (::read(file.fd(), &extra, 1) > 0) throw FileError("it grew while being read");
  return bytes;
}

}  // namespace nn
