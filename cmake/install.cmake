# Install rules and the Debian package (CPack).
#   cmake --install build --prefix ~/.local     # bin/longwriter, share/doc/longwriter, share/longwriter/data
#   (cd build && cpack -G DEB)                  # longwriter_<version>_<arch>.deb
include(GNUInstallDirs)

install(TARGETS longwriter RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")
# The evaluation sets and the reference prompt templates, when the shared data folder is present
# (users pass them with --data / --plan-template etc.; the binary itself needs no data files).
foreach(sub longbench reference-prompts)
  if(EXISTS "${LW_SHARED_DIR}/data/${sub}")
    install(DIRECTORY "${LW_SHARED_DIR}/data/${sub}" DESTINATION ${CMAKE_INSTALL_DATADIR}/longwriter/data)
  endif()
endforeach()

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
