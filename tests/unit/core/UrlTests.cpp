#include "core/Url.hpp"

#include <catch2/catch.hpp>

using dagda::Error;
using dagda::ErrorKind;
using dagda::parse_url;

TEST_CASE("URLs: scheme, host, port and target, IPv6 in brackets", "[core][url]") {
    const auto plain = parse_url("https://archive.lan/srv01/monday.tib", ErrorKind::failed);
    CHECK(plain.scheme == "https");
    CHECK(plain.host == "archive.lan");
    CHECK(plain.port.empty());
    CHECK(plain.target == "/srv01/monday.tib");
    const auto v6 = parse_url("wss://[fd00::5]:8443", ErrorKind::usage);
    CHECK(v6.host == "fd00::5");
    CHECK(v6.port == "8443");
    CHECK(v6.target.empty());
    const auto v4 = parse_url("http://10.0.2.2:8080/files/k/a.tib?x=1", ErrorKind::failed);
    CHECK(v4.host == "10.0.2.2");
    CHECK(v4.port == "8080");
    CHECK(v4.target == "/files/k/a.tib?x=1");
}

TEST_CASE("URLs: what is not one is refused with the kind asked for", "[core][url]") {
    for (const char* bad : {"archive.lan/a.tib", "https://", "https://:443/", "https://[::1/x", "https://[::1]x", "https://h:0", "https://h:65536",
                            "https://h:80a", "https://h:"}) {
        INFO(bad);
        try {
            parse_url(bad, ErrorKind::usage);
            FAIL("accepted");
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::usage);
            CHECK_THAT(e.what(), Catch::Contains(bad));
        }
    }
}
