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

# lw_add_test(NAME [DEPS lw_x ...])
#   Builds tests/NAME/*.cpp into the GoogleTest program test_NAME and registers its tests with ctest.
#   Tests find the shared data through the LW_SHARED_DIR compile definition and their own
#   fixtures through LW_TEST_DATA_DIR (tests/fixtures).
function(lw_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "DEPS" ${ARGN})
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
endfunction()
