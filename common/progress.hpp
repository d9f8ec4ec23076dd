// progress.hpp: show how training is going, on a terminal and in a log.
//
//   nn::Progress progress(epochs, batches_per_epoch);
//   for (int epoch = 1; epoch <= epochs; ++epoch) {
//     for (...each batch...) { ...; progress.batch_done(batch_size, loss); }
//     progress.epoch_done(mean_loss, "test accuracy 85.31%");
//   }
//
// On a terminal (standard output is a tty) one line is redrawn in place after batches:
//
//   epoch 3/10 [######----------] 412/938  loss 0.4123  14630 samples/s  1:23 left
//
// and at the end of each epoch it is replaced by that epoch's line, which stays:
//
//   epoch  3/10  loss 0.4123  test accuracy 85.31%  (4.1 s, 14630 samples/s)
//
// Anywhere else (a file, a pipe, a test) only the epoch lines are written, and no
// control character at all: a log has one clean line per epoch. Everything in a line
// except the timings in parentheses is determined by the arguments, so two runs with the
// same seed print the same lines apart from those.
#pragma once

#include <chrono>
#include <iostream>
#include <string>

namespace nn {

enum class ProgressStyle {
  bar,   // one line redrawn in place with '\r' (a terminal)
  lines  // one line per epoch, nothing else (a file or a pipe)
};

// bar when standard output is a terminal, lines otherwise.
ProgressStyle progress_style_for_stdout();

// A duration for a person: "0:07", "12:05", "1:02:03" (h:mm:ss from one hour on);
// "--:--" when unknown (negative, NaN or infinite).
std::string format_duration(double seconds);

class Progress {
 public:
  // Throws std::invalid_argument unless epochs >= 1 and batches_per_epoch >= 1.
  Progress(long epochs, long batches_per_epoch,
           ProgressStyle style = progress_style_for_stdout(), std::ostream& out = std::cout);

  // After each batch: `samples` in the batch, its loss. Redraws the bar (style bar) at
  // most ten times a second, and always after an epoch's first and last batch.
  void batch_done(long samples, double loss);

  // At the end of each epoch: the loss to report for it, and anything else worth a column
  // ("test accuracy 85.31%"). Writes the epoch's line.
  void epoch_done(double loss, const std::string& metrics = "");

  // The epoch line without its timings: "epoch  3/10  loss 0.4123  <metrics>". The
  // epoch number is padded to the width of the last one, so the columns line up.
  static std::string epoch_summary(long epoch, long epochs, double loss,
                                   const std::string& metrics);

  // The last finished epoch: its wall time, and training samples per second in it.
  double epoch_seconds() const { return epoch_seconds_; }
  double samples_per_second() const { return samples_per_second_; }

 private:
  using Clock = std::chrono::steady_clock;
  void draw_bar(Clock::time_point now);
  void show(const std::string& line);  // the bar: '\r', the line, spaces over the old one

  long epochs_, batches_per_epoch_;
  ProgressStyle style_;
  std::ostream& out_;
  long epoch_ = 1, batch_ = 0, epoch_samples_ = 0;
  double loss_sum_ = 0;
  Clock::time_point run_start_, epoch_start_, last_draw_;
  double epoch_seconds_ = 0, samples_per_second_ = 0;
  std::size_t shown_ = 0;  // length of the bar line now on screen
};

}  // namespace nn
