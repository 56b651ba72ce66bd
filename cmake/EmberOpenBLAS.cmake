# OpenBLAS, linked statically into libember so the shipped library needs no BLAS installed beside it.
# Debian: libopenblas-pthread-dev ships the static archive and cblas.h.
find_path(OPENBLAS_INCLUDE_DIR cblas.h
  PATHS /usr/include/x86_64-linux-gnu/openblas-pthread /usr/include/aarch64-linux-gnu/openblas-pthread
        /usr/include/openblas /opt/homebrew/opt/openblas/include
  NO_DEFAULT_PATH)
find_library(OPENBLAS_STATIC_LIB NAMES libopenblas.a
  PATHS /usr/lib/x86_64-linux-gnu/openblas-pthread /usr/lib/aarch64-linux-gnu/openblas-pthread
        /opt/homebrew/opt/openblas/lib
  NO_DEFAULT_PATH)
if(NOT OPENBLAS_INCLUDE_DIR OR NOT OPENBLAS_STATIC_LIB)
  message(FATAL_ERROR "Static OpenBLAS not found. On Debian/Ubuntu: apt-get install libopenblas-pthread-dev")
endif()
add_library(ember_openblas STATIC IMPORTED)
set_target_properties(ember_openblas PROPERTIES
  IMPORTED_LOCATION ${OPENBLAS_STATIC_LIB}
  INTERFACE_INCLUDE_DIRECTORIES ${OPENBLAS_INCLUDE_DIR})
