#include "common/atomic_write.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace nn {

namespace {

// ---------------------------------------------------------------------------------------
// The temporary files alive now, for the signal handler. A handler may only call
// async-signal-safe functions (unlink, signal, raise): so the names live in fixed arrays,
// and the list is changed only with those signals blocked.
// ---------------------------------------------------------------------------------------

constexpr int kMaxLive = 32;
constexpr std::size_t kMaxPath = 4096;
char g_live[kMaxLive][kMaxPath];
volatile sig_atomic_t g_used[kMaxLive];
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};

struct sigaction g_previous[3];  // what each of kSignals did before our handler

void remove_live_files(int sig) {
  for (int k = 0; k < kMaxLive; ++k)
    if (g_used[k]) ::unlink(g_live[k]);
  // Then do what was done before (by default: die of the signal, so the parent sees why).
  for (int i = 0; i < 3; ++i)
    if (kSignals[i] == sig) ::sigaction(sig, &g_previous[i], nullptr);
  ::raise(sig);  // delivered when this handler returns
}

class BlockSignals {
 public:
  BlockSignals() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : kSignals) sigaddset(&set, s);
    pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~BlockSignals() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

 private:
  sigset_t old_;
};

// Puts remove_live_files in front of whatever handles each signal now, unless the signal
// is ignored (then it must stay ignored) or the handler is already ours.
void install_handlers() {
  for (int i = 0; i < 3; ++i) {
    struct sigaction now {};
    ::sigaction(kSignals[i], nullptr, &now);
    if (now.sa_handler == SIG_IGN || now.sa_handler == remove_live_files) continue;
    struct sigaction sa {};
    sa.sa_handler = remove_live_files;
    sigemptyset(&sa.sa_mask);
    for (int t : kSignals) sigaddset(&sa.sa_mask, t);
    ::sigaction(kSignals[i], &sa, &g_previous[i]);
  }
}

// Returns the slot, or -1 when the list is full or the name too long (the file is then
// still removed on every path but a signal).
int remember(const std::string& path) {
  BlockSignals blocked;
  install_handlers();
  if (path.size() >= kMaxPath) return -1;
  for (int k = 0; k < kMaxLive; ++k)
    if (!g_used[k]) {
      std::memcpy(g_live[k], path.c_str(), path.size() + 1);
      g_used[k] = 1;
      return k;
    }
  return -1;
}

void forget(const std::string& path) {
  BlockSignals blocked;
  for (int k = 0; k < kMaxLive; ++k)
    if (g_used[k] && path == g_live[k]) g_used[k] = 0;
}

std::string folder_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

TempFile::TempFile(const std::string& target) : target_(target) {
  const std::filesystem::path p(target);
  std::string stem = ".";
  stem += p.filename().string();
  stem += ".XXXXXX.part";
  std::string name = (p.parent_path() / stem).string();
  // mkstemps: a unique name, created with O_CREAT | O_EXCL and mode 0600, so it cannot be
  // someone else's file or a symbolic link.
  {
    BlockSignals blocked;  // no signal between creating the file and remembering it
    fd_ = ::mkostemps(name.data(), 5, O_CLOEXEC);
    if (fd_ < 0)
      throw std::runtime_error("cannot write " + target + ": " + errno_text() + " (in " +
                               folder_of(target) + ")");
    path_ = name;
    remember(path_);
  }
  // mkstemp makes the file readable by its owner only; give it the usual rights (0666
  // less the umask), as an ordinary open() would have.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd_, 0666 & ~mask);
}

TempFile::~TempFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!done_) {
    ::unlink(path_.c_str());
    forget(path_);
  }
}

void TempFile::write(const std::string& content) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd_, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw std::runtime_error("cannot write " + target_ + ": " +
                               (n < 0 ? errno_text() : std::string("nothing written")));
    done += static_cast<std::size_t>(n);
  }
}

void TempFile::commit() {
  if (::fsync(fd_) != 0)
    throw std::runtime_error("cannot write " + target_ + ": " + errno_text());
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) throw std::runtime_error("cannot write " + target_ + ": " + errno_text());
  if (::rename(path_.c_str(), target_.c_str()) != 0)
    throw std::runtime_error("cannot write " + target_ + ": " + errno_text());
  done_ = true;
  forget(path_);
  // The rename is an entry in the folder: flush the folder too (failure here does not
  // undo the write, so it is not an error).
  const int dir = ::open(folder_of(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void write_file_atomically(const std::string& path, const std::string& content) {
  TempFile file(path);
  file.write(content);
  file.commit();
}

void check_folder_writable(const std::string& dir) {
  std::string probe = (std::filesystem::path(dir) / ".write-test.XXXXXX").string();
  const int fd = ::mkostemp(probe.data(), O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(errno_text());
  ::close(fd);
  ::unlink(probe.c_str());
}

std::string save_problem(const std::string& target, bool create_folder) {
  const std::filesystem::path folder = std::filesystem::absolute(target).parent_path();
  std::error_code ec;
  if (create_folder) std::filesystem::create_directories(folder, ec);
  if (std::filesystem::is_directory(target, ec)) return " is a folder";
  if (!std::filesystem::is_directory(folder, ec)) return ": its folder does not exist";
  try {
    check_folder_writable(folder.string());
  } catch (const std::exception& e) {
    return ": cannot write into its folder: " + std::string(e.what());
  }
  return "";
}

}  // namespace nn
