#include "core/Error.hpp"
#include "core/Units.hpp"

#include <catch2/catch.hpp>

TEST_CASE("human_bytes: binary units, one decimal only when inexact", "[core]") {
    CHECK(dagda::human_bytes(0) == "0 B");
    CHECK(dagda::human_bytes(512) == "512 B");
    CHECK(dagda::human_bytes(60 * 1024 * 1024) == "60 MiB");
    CHECK(dagda::human_bytes(1536ull * 1024 * 1024) == "1.5 GiB");
}

TEST_CASE("exit codes are the documented ones", "[core]") {
    CHECK(dagda::exit_code(dagda::ErrorKind::failed) == 1);
    CHECK(dagda::exit_code(dagda::ErrorKind::usage) == 2);
    CHECK(dagda::exit_code(dagda::ErrorKind::refused) == 3);
}
