# Compiler options shared by every target, through the interface library nn_options.
add_library(nn_options INTERFACE)
if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
  target_compile_options(nn_options INTERFACE
    -Wall            # the common warnings
    -Wextra          # unused parameters, sign mistakes in comparisons, missing initialisers
    -Wpedantic       # no compiler extensions: the code is portable C++20
    -Wshadow         # a local that hides another one is a classic source of wrong gradients
    -Wnon-virtual-dtor
    # No fused multiply-add contraction: a*b+c is rounded twice, as written, on every
    # target. Some compilers (clang, GCC on ARM) contract by default, which would change
    # the last bits of the toy chapters' numbers from one machine to the next.
    -ffp-contract=off)
  if(NN_WARNINGS_AS_ERRORS)
    target_compile_options(nn_options INTERFACE -Werror)
  endif()
  if(NN_SANITIZE)
    target_compile_options(nn_options INTERFACE
      -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_link_options(nn_options INTERFACE -fsanitize=address,undefined)
  endif()
endif()
# Armadillo checks bounds and sizes unless ARMA_NO_DEBUG: keep the checks in debug and
# test builds, where they find mistakes, and drop them in Release, where speed matters
# (unless NN_ARMA_CHECKS: CI's sanitizer build is Release, for speed, with the checks on).
if(NOT NN_ARMA_CHECKS)
  target_compile_definitions(nn_options INTERFACE $<$<CONFIG:Release>:ARMA_NO_DEBUG>)
endif()
