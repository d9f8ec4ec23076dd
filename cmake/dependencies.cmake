# Every dependency is a Debian package, installed by ./tutorial (see its package list).
find_package(Armadillo REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Boost REQUIRED COMPONENTS iostreams filesystem)
find_package(ZLIB REQUIRED)  # the IDX data files (common/idx.cpp) are read through zlib
# libpng and libjpeg-turbo read a reader's PNG and JPEG photos (common/photo.cpp), and
# libpng writes the PNG of --show-input. Debian's libpng-dev and libturbojpeg0-dev ship
# pkg-config files, so both are found the Debian way, through pkg-config.
find_package(PkgConfig REQUIRED)
pkg_check_modules(PNG REQUIRED IMPORTED_TARGET libpng)
pkg_check_modules(TURBOJPEG REQUIRED IMPORTED_TARGET libturbojpeg)
if(NN_BUILD_TESTS)
  # Only the tests need Catch2, and ./tutorial installs it only for `./tutorial test`: a
  # reader who only runs the chapters never waits for it.
  find_package(Catch2 2 QUIET)
  if(NOT Catch2_FOUND)
    message(STATUS "Catch2 2 not found: the tests are not built (./tutorial test installs it)")
    set(NN_BUILD_TESTS OFF)
  endif()
endif()

# Armadillo as a target. Its wrapper library calls BLAS/LAPACK; with libopenblas-dev
# installed, Debian's alternatives make that OpenBLAS.
add_library(nn_armadillo INTERFACE)
target_include_directories(nn_armadillo INTERFACE ${ARMADILLO_INCLUDE_DIRS})
target_link_libraries(nn_armadillo INTERFACE ${ARMADILLO_LIBRARIES})

# gnuplot-iostream is one header on top of Boost.Iostreams (and Boost.Filesystem, for
# its temporary files).
find_path(GNUPLOT_IOSTREAM_INCLUDE_DIR gnuplot-iostream.h REQUIRED)
add_library(nn_gnuplot INTERFACE)
target_include_directories(nn_gnuplot INTERFACE ${GNUPLOT_IOSTREAM_INCLUDE_DIR})
target_link_libraries(nn_gnuplot INTERFACE Boost::iostreams Boost::filesystem)
