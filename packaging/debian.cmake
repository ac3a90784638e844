# The Debian package, built by CPack from this one CMake build (scripts/package.sh runs it):
# sensorgate_<version>_<arch>.deb with /usr/bin/sensorgate, the systemd unit, a sysusers.d entry,
# /etc/sensorgate/sensorgate.yaml as a conffile, the docs and the maintainer scripts in
# packaging/maintainer/. Depends is computed from the binary's shared libraries (dpkg-shlibdeps).
# Included once from the top CMakeLists.txt, after the targets.

install(FILES ${PROJECT_SOURCE_DIR}/systemd/sensorgate.service DESTINATION lib/systemd/system)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/sysusers.conf DESTINATION lib/sysusers.d
        RENAME sensorgate.conf)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/sensorgate.yaml DESTINATION /etc/sensorgate)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/operations.md
              ${PROJECT_SOURCE_DIR}/docs/configuration.md
        DESTINATION share/doc/sensorgate)
install(FILES ${PROJECT_SOURCE_DIR}/systemd/README.md DESTINATION share/doc/sensorgate
        RENAME systemd.md)

# `cpack` runs the install step; without this it would first build every target (tests and
# benchmarks included). scripts/package.sh builds the binary the package needs.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sensorgate)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "sensorgate engineers <sensorgate@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "edge gateway: sensor readings over MQTT into a local buffer, forwarded to Kafka")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "sensorgate collects sensor readings (MQTT, and more protocols to come), keeps every\n\
 reading in a local SQLite store-and-forward buffer while the uplink is down, and\n\
 forwards the buffer to Kafka with an idempotent producer. Edge rules raise alerts on\n\
 site. It runs as the systemd service sensorgate.service, configured by\n\
 /etc/sensorgate/sensorgate.yaml; installing the package starts nothing.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# postinst creates the system user with systemd-sysusers, or adduser where systemd is absent.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd | adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/maintainer/conffiles ${CMAKE_CURRENT_LIST_DIR}/maintainer/postinst
    ${CMAKE_CURRENT_LIST_DIR}/maintainer/prerm ${CMAKE_CURRENT_LIST_DIR}/maintainer/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
