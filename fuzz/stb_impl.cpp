// stb_impl.cpp: stb_image and stb_image_write compiled from Debian's headers, for the
// photo fuzz target only. The chapters link Debian's libstb.so, built without sanitizers;
// compiled here with AddressSanitizer and libFuzzer's coverage, the decoder's own reads and
// writes are checked, and its branches guide the fuzzer. (Third-party code: fuzz/run.sh
// compiles this file without the project's warning flags.)
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image.h>
#include <stb_image_write.h>
