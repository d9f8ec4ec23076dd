#include "common/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace nn {

namespace {

constexpr int kBarWidth = 16;                      // characters between [ and ]
constexpr double kRedrawSeconds = 0.1;             // at most ten redraws a second
constexpr std::size_t kDefaultTerminalWidth = 80;  // when the terminal does not say

double seconds_between(std::chrono::steady_clock::time_point a,
                       std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::string format(const char* fmt, double value) {
  char s[64];
  std::snprintf(s, sizeof s, fmt, value);
  return s;
}

// The bar line must fit on one line of the terminal: a line that wraps cannot be redrawn
// in place with '\r'.
std::size_t terminal_width() {
  winsize w{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_col > 0) return w.ws_col;
  return kDefaultTerminalWidth;
}

}  // namespace

ProgressStyle progress_style_for_stdout() {
  return isatty(STDOUT_FILENO) ? ProgressStyle::bar : ProgressStyle::lines;
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const long s = std::lround(seconds);
  char text[32];
  if (s < 3600)
    std::snprintf(text, sizeof text, "%ld:%02ld", s / 60, s % 60);
  else
    std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  return text;
}

Progress::Progress(long epochs, long batches_per_epoch, ProgressStyle style, std::ostream& out)
    : epochs_(epochs), batches_per_epoch_(batches_per_epoch), style_(style), out_(out) {
  if (epochs < 1 || batches_per_epoch < 1)
    throw std::invalid_argument("Progress: need at least one epoch and one batch per epoch");
  run_start_ = epoch_start_ = last_draw_ = Clock::now();
}

void Progress::batch_done(long samples, double loss) {
  ++batch_;
  epoch_samples_ += samples;
  loss_sum_ += loss;
  if (style_ != ProgressStyle::bar) return;
  const Clock::time_point now = Clock::now();
  if (batch_ == 1 || batch_ >= batches_per_epoch_ ||
      seconds_between(last_draw_, now) >= kRedrawSeconds)
    draw_bar(now);
}

void Progress::draw_bar(Clock::time_point now) {
  last_draw_ = now;
  const long batch = std::min(batch_, batches_per_epoch_);
  const int filled = static_cast<int>(kBarWidth * batch / batches_per_epoch_);
  const double epoch_time = seconds_between(epoch_start_, now);
  // Time left: the run so far, scaled to the batches still to come.
  const double done = static_cast<double>((epoch_ - 1) * batches_per_epoch_ + batch);
  const double total = static_cast<double>(epochs_ * batches_per_epoch_);
  const double left = seconds_between(run_start_, now) * (total - done) / done;

  std::string line = "epoch " + std::to_string(epoch_) + "/" + std::to_string(epochs_) + " [" +
                     std::string(filled, '#') + std::string(kBarWidth - filled, '-') + "] " +
                     std::to_string(batch) + "/" + std::to_string(batches_per_epoch_) +
                     "  loss " + format("%.4f", loss_sum_ / static_cast<double>(batch_));
  if (epoch_time > 0)
    line +=
        "  " + format("%.0f", static_cast<double>(epoch_samples_) / epoch_time) + " samples/s";
  line += "  " + format_duration(batch > 1 || epoch_ > 1 ? left : std::nan("")) + " left";
  show(line.substr(0, terminal_width() - 1));
}

void Progress::show(const std::string& line) {
  out_ << '\r' << line;
  if (shown_ > line.size()) out_ << std::string(shown_ - line.size(), ' ');
  out_.flush();
  shown_ = line.size();
}

std::string Progress::epoch_summary(long epoch, long epochs, double loss,
                                    const std::string& metrics) {
  const std::string last = std::to_string(epochs);
  std::string number = std::to_string(epoch);
  if (number.size() < last.size()) number.insert(0, last.size() - number.size(), ' ');
  std::string line = "epoch " + number + "/" + last + "  loss " + format("%.4f", loss);
  if (!metrics.empty()) line += "  " + metrics;
  return line;
}

void Progress::epoch_done(double loss, const std::string& metrics) {
  const Clock::time_point now = Clock::now();
  epoch_seconds_ = seconds_between(epoch_start_, now);
  samples_per_second_ =
      epoch_seconds_ > 0 ? static_cast<double>(epoch_samples_) / epoch_seconds_ : 0;
  const std::string line = epoch_summary(epoch_, epochs_, loss, metrics) + "  (" +
                           format("%.1f", epoch_seconds_) + " s, " +
                           format("%.0f", samples_per_second_) + " samples/s)";
  if (style_ == ProgressStyle::bar) {
    show(line);
    out_ << '\n';
    shown_ = 0;
  } else {
    out_ << line << '\n';
  }
  out_.flush();
  ++epoch_;
  batch_ = 0;
  epoch_samples_ = 0;
  loss_sum_ = 0;
  epoch_start_ = last_draw_ = Clock::now();
}

}  // namespace nn
