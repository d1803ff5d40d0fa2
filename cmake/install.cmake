# Install rules and the Debian package (CPack).
#   cmake --install build --prefix ~/.local     # bin/longwriter, share/doc/longwriter, share/longwriter/data
#   (cd build && cpack -G DEB)                  # longwriter_<version>_<arch>.deb
include(GNUInstallDirs)

install(TARGETS longwriter RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")
# The evaluation sets and the reference prompt templates (third-party files, not in the repository):
# installed to share/longwriter/data when the data folder is present at configure time, where
# `bench predict` and `ruler` find them without --data (util/data_dir.hpp). scripts/get-data.sh
# fetches them into ../shared (the default LW_SHARED_DIR); reconfigure after fetching.
set(LW_INSTALL_DATA_SUBDIRS longbench reference-prompts)
set(_lw_data_missing "")
foreach(sub ${LW_INSTALL_DATA_SUBDIRS})
  if(EXISTS "${LW_SHARED_DIR}/data/${sub}")
    install(DIRECTORY "${LW_SHARED_DIR}/data/${sub}" DESTINATION ${CMAKE_INSTALL_DATADIR}/longwriter/data)
  else()
    list(APPEND _lw_data_missing "${sub}")
  endif()
endforeach()
if(_lw_data_missing)
  message(STATUS "install: the evaluation data will NOT be included (no ${_lw_data_missing} under "
                 "${LW_SHARED_DIR}/data); run scripts/get-data.sh and reconfigure to include it")
else()
  message(STATUS "install: the evaluation data from ${LW_SHARED_DIR}/data will be included "
                 "(share/longwriter/data)")
endif()

set(CPACK_PACKAGE_NAME longwriter)
set(CPACK_PACKAGE_VENDOR "longwriter developers")
set(CPACK_PACKAGE_CONTACT "longwriter developers <longwriter@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Make language models write coherent outputs of 10,000+ words")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
# Runtime dependencies from the binary's shared libraries (dpkg-shlibdeps): libcurl4, libopenblas0,
# libsentencepiece0, ... and never a -dev package.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
