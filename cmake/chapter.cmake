# The chapters that multiply real-data-sized matrices and so use BLAS (OpenBLAS on Debian).
# Every other chapter works on toy data with small matrices, and is compiled so that
# Armadillo never calls BLAS or LAPACK: its own matrix product is plain loops summing in a
# fixed order, compiled once into the binary, so that binary gives the same bits on every
# x86-64 CPU. OpenBLAS instead picks a kernel for the CPU it runs on (Nehalem, Sandybridge,
# Haswell, SkylakeX...), and each kernel sums a product in its own order: training grows
# those last-bit differences into visible ones. A new real-data chapter opts in by name here,
# and its text then quotes its numbers with the precision that survives a change of kernel.
set(NN_BLAS_CHAPTERS
    09_fashion_mnist
    11_regularise_normalise
    12_convolution)

# nn_add_chapter(DIR): chapters/NN_name/main.cpp becomes the executable NN_name.
function(nn_add_chapter dir)
  get_filename_component(name ${dir} NAME)
  if(NOT EXISTS ${dir}/main.cpp)
    message(FATAL_ERROR "chapter folder ${name} has no main.cpp")
  endif()
  add_executable(${name} ${dir}/main.cpp)
  target_link_libraries(${name} PRIVATE nn_common)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/chapters)
  if(NOT name IN_LIST NN_BLAS_CHAPTERS)
    # Armadillo's own product and no LAPACK (see NN_BLAS_CHAPTERS above).
    target_compile_definitions(${name} PRIVATE ARMA_DONT_USE_BLAS ARMA_DONT_USE_LAPACK)
  endif()
endfunction()
