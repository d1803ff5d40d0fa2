# Cross build for aarch64 Linux with Debian's toolchain (g++-aarch64-linux-gnu) and the multiarch
# :arm64 libraries (scripts/setup.sh --arch aarch64); the programs run under qemu-aarch64, which
# CMake uses to list the GoogleTest cases (CMAKE_CROSSCOMPILING_EMULATOR) and ctest to run them.
#   cmake -S . -B build-aarch64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DLW_ENGINE_SUBSET=ON
# QEMU_CPU (max, neoverse-n1, cortex-a72, ...) picks the emulated CPU and so the kernel levels.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# GCC's notes that std::pair arguments are passed differently than by GCC < 10.1 (no such code here).
set(CMAKE_CXX_FLAGS_INIT "-Wno-psabi")
# Multiarch: the :arm64 libraries live in /usr/lib/aarch64-linux-gnu, their headers in /usr/include.
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_PATH} "")
find_program(LW_QEMU_AARCH64 qemu-aarch64 REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR "${LW_QEMU_AARCH64}")
