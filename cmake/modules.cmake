# lw_add_module(NAME [DEPS lw_x ...] [LIBS target ...])
#   Builds src/NAME/*.cpp into the static library lw_NAME. Headers are included as "NAME/file.hpp".
#   The library is recorded in the global property LW_LIBRARIES so the CLI links every module.
function(lw_add_module name)
  cmake_parse_arguments(ARG "" "" "DEPS;LIBS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.cpp")
  if(NOT srcs)
    message(STATUS "module ${name}: no sources yet, skipped")
    return()
  endif()
  add_library(lw_${name} STATIC ${srcs})
  target_include_directories(lw_${name} PUBLIC "${PROJECT_SOURCE_DIR}/src")
  target_link_libraries(lw_${name} PUBLIC ${ARG_DEPS} ${ARG_LIBS})
  set_property(GLOBAL APPEND PROPERTY LW_LIBRARIES lw_${name})
endfunction()

# lw_add_test(NAME [LEVELS] [TIMEOUT S] [NEEDS_DATA FILTER] [DEPS lw_x ...])
#   Builds tests/NAME/*.cpp into the GoogleTest program test_NAME and registers its tests with ctest.
#   LEVELS: also registers every test once per lower CPU level of the target architecture
#   (LW_TEST_LEVELS below: LW_CPU=scalar, avx2, avx512, avx512_vnni on x86-64; scalar, neon, dotprod,
#   i8mm on aarch64; suffix .scalar, ...), so the kernels of each level run the whole suite. A level
#   above the machine's is clamped to it (the test then repeats a lower level).
#   NEEDS_DATA: a GoogleTest filter (e.g. "Tiktoken.*:Vectors/*", or "*" for the whole program) of
#   the tests that read the third-party data (util/data_dir.hpp). They get the ctest label
#   needs-data and run with LW_TEST_NEEDS_DATA=1, so tests/support/data_gate.cpp skips them when the
#   data is absent (exit code 77, reported as skipped; under LW_REQUIRE_DATA=1 they fail); the others
#   run everywhere.
#   Tests find the data through tests/support/shared_data.hpp, their own fixtures through
#   LW_TEST_DATA_DIR (tests/fixtures) and the binary the CLI tests run through LW_CLI_BINARY.
function(lw_add_test name)
  cmake_parse_arguments(ARG "LEVELS" "TIMEOUT;NEEDS_DATA" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.cpp")
  if(NOT srcs)
    message(STATUS "tests ${name}: no sources yet, skipped")
    return()
  endif()
  add_executable(test_${name} ${srcs})
  set(cli_binary "${LW_CLI_BINARY}")
  if(NOT cli_binary)
    set(cli_binary "${PROJECT_BINARY_DIR}/longwriter")
  endif()
  target_link_libraries(test_${name} PRIVATE ${ARG_DEPS} lw_testdata GTest::gtest GTest::gmock GTest::gtest_main)
  target_include_directories(test_${name} PRIVATE "${PROJECT_SOURCE_DIR}/tests")
  target_compile_definitions(test_${name} PRIVATE
    LW_SHARED_DIR="${LW_SHARED_DIR}"
    LW_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/fixtures"
    LW_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    LW_BINARY_DIR="${PROJECT_BINARY_DIR}"
    LW_CLI_BINARY="${cli_binary}")
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  # (suffix, environment) of each registration: the machine's level, then each forced level.
  set(runs "-")
  if(ARG_LEVELS)
    list(APPEND runs ${LW_TEST_LEVELS})
  endif()
  foreach(level ${runs})
    set(props TIMEOUT ${ARG_TIMEOUT})
    if(level STREQUAL "-")
      set(suffix "")
    else()
      set(suffix ".${level}")
      list(APPEND props ENVIRONMENT "LW_CPU=${level}")
    endif()
    if(ARG_NEEDS_DATA)
      gtest_discover_tests(test_${name} DISCOVERY_TIMEOUT 60 TEST_SUFFIX "${suffix}" TEST_LIST test_${name}_data${suffix}
                           TEST_FILTER "${ARG_NEEDS_DATA}"
                           PROPERTIES ${props} LABELS needs-data SKIP_RETURN_CODE 77
                           ENVIRONMENT_MODIFICATION "LW_TEST_NEEDS_DATA=set:1")
      if(NOT ARG_NEEDS_DATA STREQUAL "*")
        gtest_discover_tests(test_${name} DISCOVERY_TIMEOUT 60 TEST_SUFFIX "${suffix}" TEST_LIST test_${name}${suffix}
                             TEST_FILTER "-${ARG_NEEDS_DATA}" PROPERTIES ${props})
      endif()
    else()
      gtest_discover_tests(test_${name} DISCOVERY_TIMEOUT 60 TEST_SUFFIX "${suffix}" TEST_LIST test_${name}${suffix}
                           PROPERTIES ${props})
    endif()
  endforeach()
endfunction()

# The instruction sets of the per-ISA sources of the target architecture, each with the GCC target
# string of its level in cpu/features.hpp (the avx512 sources serve avx512, avx512_vnni and
# avx512_bf16, choosing by level at table build time; the aarch64 ones are one per level). Sources of
# the other architecture's ISAs are left out of the build (lw_add_isa_sources). Adding an ISA is one
# more name and string here.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(LW_ARCH aarch64)
  set(LW_ISAS neon dotprod i8mm bf16)
  set(LW_OTHER_ISAS avx2 avx512)
  set(LW_ISA_TARGET_neon "+simd")
  set(LW_ISA_TARGET_dotprod "arch=armv8.2-a+dotprod")
  set(LW_ISA_TARGET_i8mm "arch=armv8.2-a+dotprod+i8mm")
  set(LW_ISA_TARGET_bf16 "arch=armv8.2-a+dotprod+i8mm+bf16")
  set(LW_TEST_LEVELS scalar neon dotprod i8mm)
  # clang ignores `#pragma GCC target` (kernels/isa_target.hpp): it compiles each source with -march
  # instead (macOS / Apple clang; untested here).
  set(LW_ISA_MARCH_neon "armv8-a")
  set(LW_ISA_MARCH_dotprod "armv8.2-a+dotprod")
  set(LW_ISA_MARCH_i8mm "armv8.2-a+dotprod+i8mm")
  set(LW_ISA_MARCH_bf16 "armv8.2-a+dotprod+i8mm+bf16")
else()
  set(LW_ARCH x86_64)
  set(LW_ISAS avx2 avx512)
  set(LW_OTHER_ISAS neon dotprod i8mm bf16)
  set(LW_ISA_TARGET_avx2 "avx2,fma,f16c")
  set(LW_ISA_TARGET_avx512 "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512bf16")
  set(LW_TEST_LEVELS scalar avx2 avx512 avx512_vnni)
endif()

# lw_add_isa_sources(TARGET)
#   The one build path of per-ISA code: every source of TARGET named *_<isa>.cpp (an ISA of LW_ISAS)
#   is compiled with LW_ISA_TARGET defined as that ISA's target string; the source includes
#   kernels/isa_target.hpp after its other includes, which switches code generation to it. The
#   source registers its kernels in the level's table through one fill function (kernels/isa.hpp).
function(lw_add_isa_sources target)
  get_target_property(srcs ${target} SOURCES)
  foreach(src ${srcs})
    foreach(isa ${LW_OTHER_ISAS})
      if(src MATCHES "_${isa}\\.cpp$")
        set_property(SOURCE "${src}" PROPERTY HEADER_FILE_ONLY ON)  # another architecture's code
      endif()
    endforeach()
    foreach(isa ${LW_ISAS})
      if(src MATCHES "_${isa}\\.cpp$")
        set_property(SOURCE "${src}" APPEND PROPERTY COMPILE_DEFINITIONS
                     "LW_ISA_TARGET=\"${LW_ISA_TARGET_${isa}}\"")
        if(CMAKE_CXX_COMPILER_ID MATCHES "Clang" AND LW_ISA_MARCH_${isa})
          set_property(SOURCE "${src}" APPEND PROPERTY COMPILE_OPTIONS "-march=${LW_ISA_MARCH_${isa}}")
        endif()
      endif()
    endforeach()
  endforeach()
endfunction()
