// subnormals.hpp: keep decaying training state from falling into slow subnormal floats.
//
// Some training state only ever shrinks: the momentum velocity of a weight whose gradient
// stays 0 (a dead ReLU unit, a pixel that is black in every image) is multiplied by mu at
// every step. After ~850 steps of mu = 0.9 it falls below the smallest normal float
// (1.2e-38) into the subnormal range, where an x86 processor computes up to 100 times
// slower (we measured a 784-256-128-10 epoch going from 1 s to 12 s). While a
// FlushSubnormals object is alive, the processor's flush-to-zero and denormals-are-zero
// modes are on (as TensorFlow and PyTorch's set_flush_denormal do): such numbers become 0,
// a difference no result can show. The destructor restores the previous mode, so code
// outside the scope is unaffected. Testing each value in the loop instead would cost more
// than the update itself.
//
//   { const nn::FlushSubnormals flush{};  v = mu * v + dtheta; ... }   // the decaying pass
//
// Used by the optimisers' step (optimizer.hpp) and by the benchmark's fast path
// (bench/fast_path.hpp). On processors other than x86 it does nothing.
#pragma once

#if defined(__SSE2__) || defined(_M_X64)
#include <xmmintrin.h>
#endif

namespace nn {

class FlushSubnormals {
 public:
#if defined(__SSE2__) || defined(_M_X64)
  FlushSubnormals() : saved_(_mm_getcsr()) {
    _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero);
  }
  ~FlushSubnormals() { _mm_setcsr(saved_); }

 private:
  static constexpr unsigned kFlushToZero = 0x8000, kDenormalsAreZero = 0x0040;
  unsigned saved_;

 public:
#else
  FlushSubnormals() = default;
#endif
  FlushSubnormals(const FlushSubnormals&) = delete;
  FlushSubnormals& operator=(const FlushSubnormals&) = delete;
};

}  // namespace nn
