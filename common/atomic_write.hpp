// atomic_write.hpp: write a whole file or nothing, and never through someone else's file.
//
// The content goes to a temporary file created in the target's folder under a name no
// other process can have chosen (mkstemp: ".NAME.XXXXXX.part", opened with O_EXCL, so a
// symbolic link planted there is never followed). Once complete, it is flushed to the disk
// (fsync) and renamed over NAME; rename within one folder is atomic, so a reader sees the
// old file or the new one, never half of either, and two runs writing the same folder never
// remove each other's temporary files. The temporary file is removed on every way out: an
// exception, a normal exit, and SIGINT, SIGTERM or SIGHUP (a handler removes it, then lets
// the signal end the program as it would have). Only SIGKILL or a power cut can leave one.
//
//   nn::write_file_atomically("out/neuron.csv", text);
//
//   nn::TempFile png("out/neuron.png");       // out/.neuron.png.a1B2c3.part, empty
//   run_gnuplot_writing_to(png.path());
//   png.commit();                             // fsync, rename to out/neuron.png
#pragma once

#include <string>

namespace nn {

class TempFile {
 public:
  // Creates the temporary file for target in target's folder; throws std::runtime_error
  // naming target when the folder cannot be written.
  explicit TempFile(const std::string& target);
  ~TempFile();  // removes the temporary file unless commit() succeeded
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }  // the temporary name
  void write(const std::string& content);            // appends all of content, or throws
  // fsync, then rename to the target (and fsync the folder, so the rename survives a crash).
  void commit();

 private:
  std::string target_, path_;
  int fd_ = -1;
  bool done_ = false;
};

// Writes content to path through a TempFile. Throws std::runtime_error naming path.
void write_file_atomically(const std::string& path, const std::string& content);

// Throws std::runtime_error (with the reason, without the folder's name) unless a file can
// be created in dir: checked before a chapter starts work, not after its training.
void check_folder_writable(const std::string& dir);

// Why a file cannot be written at target ("" when it can), for a chapter to say before its
// training rather than after it: " is a folder", ": its folder does not exist" or
// ": cannot write into its folder: REASON". With create_folder, the folder is created first
// (a chapter's default output folder).
std::string save_problem(const std::string& target, bool create_folder);

}  // namespace nn
