# Every dependency comes from a Debian 12 package (bin/setup installs them).
find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS headers)
find_package(OpenSSL 3 REQUIRED)
find_package(CURL 7.88 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
# libpugixml-dev 1.13: the XML of EC2 and Route 53 answers (aws/).
find_package(pugixml 1.13 CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
# c-ares 1.18 ships only a pkg-config file on Debian 12.
pkg_check_modules(CARES REQUIRED IMPORTED_TARGET libcares>=1.18)
# sd_notify (READY, RELOADING, STOPPING, WATCHDOG) for Type=notify units.
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
