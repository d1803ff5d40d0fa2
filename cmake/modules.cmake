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

# lw_add_test(NAME [LEVELS] [DEPS lw_x ...])
#   Builds tests/NAME/*.cpp into the GoogleTest program test_NAME and registers its tests with ctest.
#   LEVELS: also registers every test once per lower CPU level (LW_CPU=scalar, avx2, avx512,
#   avx512_vnni; suffix .scalar, ...), so the kernels of each level run the whole suite. A level
#   above the machine's is clamped to it (the test then repeats a lower level).
#   Tests find the shared data through the LW_SHARED_DIR compile definition and their own
#   fixtures through LW_TEST_DATA_DIR (tests/fixtures).
function(lw_add_test name)
  cmake_parse_arguments(ARG "LEVELS" "TIMEOUT" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.cpp")
  if(NOT srcs)
    message(STATUS "tests ${name}: no sources yet, skipped")
    return()
  endif()
  add_executable(test_${name} ${srcs})
  target_link_libraries(test_${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_include_directories(test_${name} PRIVATE "${PROJECT_SOURCE_DIR}/tests")
  target_compile_definitions(test_${name} PRIVATE
    LW_SHARED_DIR="${LW_SHARED_DIR}"
    LW_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/fixtures"
    LW_BINARY_DIR="${PROJECT_BINARY_DIR}")
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  gtest_discover_tests(test_${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT ${ARG_TIMEOUT})
  if(ARG_LEVELS)
    foreach(level scalar avx2 avx512 avx512_vnni)
      gtest_discover_tests(test_${name} DISCOVERY_TIMEOUT 60 TEST_SUFFIX ".${level}" TEST_LIST test_${name}_${level}
                           PROPERTIES TIMEOUT ${ARG_TIMEOUT} ENVIRONMENT "LW_CPU=${level}")
    endforeach()
  endif()
endfunction()

# The instruction sets of the per-ISA sources, each with the GCC target string of its level in
# cpu/features.hpp (the avx512 sources serve avx512, avx512_vnni and avx512_bf16, choosing by level
# at table build time). Adding an ISA (an ARM NEON level) is one more name and string here.
set(LW_ISAS avx2 avx512)
set(LW_ISA_TARGET_avx2 "avx2,fma,f16c")
set(LW_ISA_TARGET_avx512 "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx512bf16")

# lw_add_isa_sources(TARGET)
#   The one build path of per-ISA code: every source of TARGET named *_<isa>.cpp (an ISA of LW_ISAS)
#   is compiled with LW_ISA_TARGET defined as that ISA's target string; the source includes
#   kernels/isa_target.hpp after its other includes, which switches code generation to it. The
#   source registers its kernels in the level's table through one fill function (kernels/isa.hpp).
function(lw_add_isa_sources target)
  get_target_property(srcs ${target} SOURCES)
  foreach(src ${srcs})
    foreach(isa ${LW_ISAS})
      if(src MATCHES "_${isa}\\.cpp$")
        set_property(SOURCE "${src}" APPEND PROPERTY COMPILE_DEFINITIONS
                     "LW_ISA_TARGET=\"${LW_ISA_TARGET_${isa}}\"")
      endif()
    endforeach()
  endforeach()
endfunction()
