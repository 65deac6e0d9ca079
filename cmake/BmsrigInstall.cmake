# What `cmake --install` puts where (GNUInstallDirs), and the build tree's data root.
#
# Installed layout (PREFIX = CMAKE_INSTALL_PREFIX, moved freely afterwards: the binary finds
# PREFIX/share/bmsrig next to itself, rig/util/datadir.h):
#   bin/bmsrig
#   share/bmsrig/scripts/      the scenario library (the default of `bmsrig run`)
#   share/bmsrig/fixtures/     cell sets, BMS profiles, drive cycles, rides, bus recordings
#   share/bmsrig/boards/       rig descriptions (hw/boards/*.lua; `--rig emulated`)
#   share/bmsrig/wireshark/    the Wireshark dissector, when hw/wireshark has one
#   LIBDIR/bmsrig/libusb-1.0.so.0   the emulated FT232H (LD_LIBRARY_PATH=... to use it)
#   share/man/man1/bmsrig.1, bmsrig-CMD.1   generated from --help (rig/manual)
#   share/bash-completion/completions/bmsrig   generated from the command table
#   BMSRIG_UDEV_RULES_DIR/60-bmsrig.rules
#   share/doc/bmsrig/          the user guides (docs/*.md)

set(BMSRIG_UDEV_RULES_DIR "lib/udev/rules.d" CACHE STRING
    "Where the udev rule goes (relative to the prefix; udev reads /usr/lib/udev/rules.d and /etc/udev/rules.d)")

# The build tree is laid out as an installed tree would be: build/rig/bmsrig finds
# build/share/bmsrig, whose folders link to the source tree. No source path is compiled in.
set(_share ${PROJECT_BINARY_DIR}/share/bmsrig)
file(MAKE_DIRECTORY ${_share})
foreach(_pair "scripts=scripts" "fixtures=fixtures" "boards=hw/boards")
  string(REPLACE "=" ";" _pair ${_pair})
  list(GET _pair 0 _name)
  list(GET _pair 1 _from)
  if(NOT EXISTS ${_share}/${_name})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/${_from} ${_share}/${_name} SYMBOLIC)
  endif()
endforeach()

set(_data ${CMAKE_INSTALL_DATADIR}/bmsrig)
install(TARGETS bmsrig RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scripts/ DESTINATION ${_data}/scripts
        FILES_MATCHING PATTERN "*.lua" PATTERN "fit" EXCLUDE)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/fixtures/ DESTINATION ${_data}/fixtures)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/hw/boards/ DESTINATION ${_data}/boards
        FILES_MATCHING PATTERN "*.lua")
if(EXISTS ${PROJECT_SOURCE_DIR}/hw/wireshark)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/hw/wireshark/ DESTINATION ${_data}/wireshark
          FILES_MATCHING PATTERN "*.lua")
endif()
install(TARGETS bmsrig_usbemu LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/bmsrig NAMELINK_SKIP)
install(FILES ${PROJECT_SOURCE_DIR}/hw/udev/60-bmsrig.rules DESTINATION ${BMSRIG_UDEV_RULES_DIR})
install(DIRECTORY ${BMSRIG_MANUAL_DIR}/man1/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
        FILES_MATCHING PATTERN "*.1")
install(FILES ${BMSRIG_MANUAL_DIR}/bash-completion/bmsrig
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}
        FILES_MATCHING PATTERN "*.md" PATTERN "*.json")
