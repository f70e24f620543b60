# Every dependency is a Debian 12 package; scripts/setup installs them.
find_package(PkgConfig REQUIRED)
pkg_check_modules(PARTED REQUIRED IMPORTED_TARGET libparted)
pkg_check_modules(BLKID REQUIRED IMPORTED_TARGET blkid)
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
