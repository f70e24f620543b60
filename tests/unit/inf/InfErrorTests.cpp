// Malformed INFs are refused with an error naming the file and the line.

#include "windows/inf/DriverPackage.hpp"

#include "common/TempDir.hpp"

#include <catch2/catch.hpp>

#include <fstream>

using namespace dagda;
using namespace dagda::windows::inf;
using dagda::testing::TempDir;

namespace {

// A valid storage INF; the tests below break one numbered line of it.
const std::vector<std::string> good_lines = {
    "[Version]",                                         // 1
    "Signature=\"$Windows NT$\"",                        // 2
    "Class=SCSIAdapter",                                 // 3
    "Provider=%Mfg%",                                    // 4
    "DriverVer=02/03/2024,1.2.3.4",                      // 5
    "[Manufacturer]",                                    // 6
    "%Mfg% = Models, NTamd64",                           // 7
    "[Models.NTamd64]",                                  // 8
    "%Desc% = inst, PCI\\VEN_1234&DEV_5678",             // 9
    "[inst]",                                            // 10
    "CopyFiles = files",                                 // 11
    "AddReg = values",                                   // 12
    "[files]",                                           // 13
    "test.sys,,,2",                                      // 14
    "[DestinationDirs]",                                 // 15
    "DefaultDestDir = 12",                               // 16
    "[inst.Services]",                                   // 17
    "AddService = test, 0x2, service",                   // 18
    "[service]",                                         // 19
    "ServiceType = 1",                                   // 20
    "StartType = 0",                                     // 21
    "ErrorControl = 1",                                  // 22
    "ServiceBinary = %12%\\test.sys",                    // 23
    "[values]",                                          // 24
    "HKR, Parameters, BusType, 0x00010001, 1",           // 25
    "[Strings]",                                         // 26
    "Mfg = \"Test\"",                                    // 27
    "Desc = \"Test controller\"",                        // 28
};

const TargetWindows win10{10, 0, 19045, "amd64", false};

// The INF with line `number` (1-based) replaced by `text`.
std::string with_line(std::size_t number, const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < good_lines.size(); ++i) out += (i + 1 == number ? text : good_lines[i]) + "\r\n";
    return out;
}

std::vector<std::uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

DriverPackage package_of(const std::string& text) { return driver_package(parse_inf(bytes_of(text), "bad.inf"), win10); }

}  // namespace

TEST_CASE("INF errors: the base INF used below is valid", "[inf][errors]") {
    const DriverPackage package = package_of(with_line(0, ""));
    CHECK(package.hardware_ids() == std::vector<std::string>{"PCI\\VEN_1234&DEV_5678"});
    CHECK(package.function_service()->image_path == "System32\\drivers\\test.sys");
    CHECK(package.boot_storage);
}

TEST_CASE("INF errors: text and section syntax", "[inf][errors]") {
    CHECK_THROWS_WITH(package_of(with_line(4, "Provider=\"unterminated")), Catch::Contains("bad.inf:4: unterminated quote"));
    CHECK_THROWS_WITH(package_of("; comment\r\nSignature=x\r\n" + with_line(0, "")),
                      Catch::Contains("bad.inf:2: line before the first [section]"));
    CHECK_THROWS_WITH(package_of(with_line(13, "[files")), Catch::Contains("bad.inf:13: section header '[' without ']'"));
    CHECK_THROWS_WITH(package_of(with_line(13, "[ ]")), Catch::Contains("bad.inf:13: empty section name"));
    CHECK_THROWS_WITH(package_of(with_line(12, "AddReg = " + std::string(5000, 'v'))),
                      Catch::Contains("bad.inf:12: line longer than 4096 characters"));
    // The limit counts the joined line: three physical lines of 2000 characters.
    const std::string part(2000, 'v');
    CHECK_THROWS_WITH(package_of(with_line(12, "AddReg = " + part + "\\\r\n" + part + "\\\r\n" + part)),
                      Catch::Contains("bad.inf:12: line longer than 4096 characters"));
}

TEST_CASE("INF errors: [Version] and Signature", "[inf][errors]") {
    CHECK_THROWS_WITH(package_of(with_line(1, "[NotVersion]")), Catch::Contains("bad.inf:1: no [Version] section"));
    CHECK_THROWS_WITH(package_of(with_line(2, "; no signature")), Catch::Contains("bad.inf:1: [Version] has no Signature"));
    CHECK_THROWS_WITH(package_of(with_line(2, "Signature=\"$Linux$\"")), Catch::Contains("bad.inf:2: unknown Signature"));
    CHECK_THROWS_WITH(package_of(with_line(5, "DriverVer=2024-02-03,1.2.3.4")),
                      Catch::Contains("bad.inf:5: DriverVer date \"2024-02-03\" is not MM/DD/YYYY"));
    CHECK_THROWS_WITH(package_of(with_line(5, "DriverVer=02/03/2024,1.2.3.70000")),
                      Catch::Contains("bad.inf:5: DriverVer version"));
}

TEST_CASE("INF errors: manufacturer, models and install sections", "[inf][errors]") {
    CHECK_THROWS_WITH(package_of(with_line(6, "[NoManufacturer]")), Catch::Contains("bad.inf:1: no [Manufacturer] section"));
    CHECK_THROWS_WITH(package_of(with_line(8, "[Models.NTx86]")),
                      Catch::Contains("bad.inf:7: [Manufacturer] names a missing section [Models.NTamd64]"));
    CHECK_THROWS_WITH(package_of(with_line(9, "%Desc% = , PCI\\VEN_1234&DEV_5678")),
                      Catch::Contains("bad.inf:9: Models line install section is missing"));
    CHECK_THROWS_WITH(package_of(with_line(9, "%Desc% = inst")), Catch::Contains("bad.inf:9: Models line hardware ID is missing"));
    CHECK_THROWS_WITH(package_of(with_line(9, "%Desc% = %Install%, PCI\\VEN_1234&DEV_5678")),
                      Catch::Contains("bad.inf:9: Models line install section uses %Install%, which no [Strings] section defines"));
    CHECK_THROWS_WITH(package_of(with_line(9, "%Desc% = other, PCI\\VEN_1234&DEV_5678")),
                      Catch::Contains("bad.inf:9: install section [other] is missing"));
    CHECK_THROWS_WITH(package_of(with_line(11, "CopyFiles = nofiles")),
                      Catch::Contains("bad.inf:11: CopyFiles names a missing section [nofiles]"));
    CHECK_THROWS_WITH(package_of(with_line(12, "AddReg = novalues")),
                      Catch::Contains("bad.inf:12: AddReg names a missing section [novalues]"));
}

TEST_CASE("INF errors: services", "[inf][errors]") {
    CHECK_THROWS_WITH(package_of(with_line(18, "AddService = test, 0x2, missing_service")),
                      Catch::Contains("bad.inf:18: AddService names a missing section [missing_service]"));
    CHECK_THROWS_WITH(package_of(with_line(18, "AddService = test, 0x2")),
                      Catch::Contains("bad.inf:18: AddService service-install section is missing"));
    CHECK_THROWS_WITH(package_of(with_line(18, "AddService = test, two, service")),
                      Catch::Contains("bad.inf:18: AddService flags \"two\" are not a number"));
    CHECK_THROWS_WITH(package_of(with_line(21, "StartType = boot")), Catch::Contains("bad.inf:21: StartType \"boot\" is not a number"));
    CHECK_THROWS_WITH(package_of(with_line(21, "StartType = 7")), Catch::Contains("bad.inf:21: StartType 7 is out of range"));
    CHECK_THROWS_WITH(package_of(with_line(21, "StartType = %SERVICE_BOOT_START%")),
                      Catch::Contains("bad.inf:21: StartType uses %SERVICE_BOOT_START%, which no [Strings] section defines"));
    CHECK_THROWS_WITH(package_of(with_line(21, "; no StartType")),
                      Catch::Contains("bad.inf:19: service-install section [service] has no StartType"));
    CHECK_THROWS_WITH(package_of(with_line(23, "ServiceBinary = %99%\\test.sys")),
                      Catch::Contains("bad.inf:23: ServiceBinary uses unknown dirid 99"));
    CHECK_THROWS_WITH(package_of(with_line(23, "ServiceBinary = C:\\test.sys")),
                      Catch::Contains("bad.inf:23: ServiceBinary \"C:\\test.sys\" does not start with a %dirid%"));
    CHECK_THROWS_WITH(package_of(with_line(23, "ServiceBinary = %12%\\..\\..\\evil.sys")),
                      Catch::Contains("bad.inf:23: ServiceBinary"));
}

TEST_CASE("INF errors: files, dirids and registry values", "[inf][errors]") {
    CHECK_THROWS_WITH(package_of(with_line(16, "DefaultDestDir = 99")), Catch::Contains("bad.inf:16: unknown dirid 99"));
    CHECK_THROWS_WITH(package_of(with_line(16, "DefaultDestDir = DRIVERS_DIR")),
                      Catch::Contains("bad.inf:16: DestinationDirs dirid \"DRIVERS_DIR\" is not a number"));
    CHECK_THROWS_WITH(package_of(with_line(16, "DefaultDestDir = 12, ..\\..")),
                      Catch::Contains("bad.inf:16: DestinationDirs subdir leaves its dirid"));
    CHECK_THROWS_WITH(package_of(with_line(14, "..\\test.sys")), Catch::Contains("bad.inf:14: file name \"..\\test.sys\""));
    CHECK_THROWS_WITH(package_of(with_line(25, "HKXX, Parameters, BusType, 0x00010001, 1")),
                      Catch::Contains("bad.inf:25: unknown registry root \"HKXX\""));
    CHECK_THROWS_WITH(package_of(with_line(25, "HKR, Parameters, BusType, %REG_DWORD%, 1")),
                      Catch::Contains("bad.inf:25: AddReg field 4 uses %REG_DWORD%"));
    CHECK_THROWS_WITH(package_of(with_line(25, "HKR, Parameters, BusType, 0x00010001, one")),
                      Catch::Contains("bad.inf:25: AddReg DWORD value \"one\" is not a number"));
    CHECK_THROWS_WITH(package_of(with_line(25, "HKR, Parameters, BusType, 0x00000001, 1, zz")),
                      Catch::Contains("bad.inf:25: AddReg byte \"zz\" is not a hex byte"));
    CHECK_THROWS_WITH(package_of(with_line(25, "HKR, Parameters, BusType, 0x00030000, x")),
                      Catch::Contains("bad.inf:25: AddReg flags 0x00030000 name no known value type"));
}

TEST_CASE("INF errors: undecodable bytes and size limits", "[inf][errors]") {
    SECTION("odd-length UTF-16") {
        std::vector<std::uint8_t> bytes{0xFF, 0xFE};
        for (const char c : std::string("[Version]\r\nSignature=x\r\n")) {
            bytes.push_back(static_cast<std::uint8_t>(c));
            bytes.push_back(0);
        }
        bytes.push_back('[');
        CHECK_THROWS_WITH(parse_inf(bytes, "odd.inf"), Catch::Contains("odd.inf:3: UTF-16 text has an odd number of bytes"));
    }
    SECTION("an unpaired surrogate") {
        const std::vector<std::uint8_t> bytes{0xFF, 0xFE, '[', 0, '\n', 0, 0x00, 0xD8, 'x', 0};
        CHECK_THROWS_WITH(parse_inf(bytes, "sur.inf"), Catch::Contains("sur.inf:2: UTF-16 text has an unpaired surrogate"));
    }
    SECTION("invalid UTF-8 after a UTF-8 BOM") {
        std::vector<std::uint8_t> bytes{0xEF, 0xBB, 0xBF};
        for (const char c : std::string("[Version]\nSignature=\"$Windows NT$\"\nx = \xC3(\n")) bytes.push_back(static_cast<std::uint8_t>(c));
        CHECK_THROWS_WITH(parse_inf(bytes, "u8.inf"), Catch::Contains("u8.inf:3: text after the UTF-8 BOM is not valid UTF-8"));
    }
    SECTION("a NUL inside the text") {
        const std::string text = "[Version]\nSignature=\"$Windows NT$\"\nx = a" + std::string(1, '\0') + "b\n";
        CHECK_THROWS_WITH(parse_inf(bytes_of(text), "nul.inf"), Catch::Contains("nul.inf:3: NUL character"));
        CHECK_NOTHROW(parse_inf(bytes_of(with_line(0, "") + std::string(3, '\0')), "padded.inf"));
    }
    SECTION("files over 4 MiB, in memory and on disk") {
        const std::string big = with_line(0, "") + std::string(max_inf_bytes, ';');
        CHECK_THROWS_WITH(parse_inf(bytes_of(big), "big.inf"), Catch::Contains("big.inf:1: file is") && Catch::Contains("refused"));
        TempDir dir;
        const std::string path = dir.file("big.inf");
        std::ofstream(path, std::ios::binary) << big;
        CHECK_THROWS_WITH(load_inf(path), Catch::Contains(path + ":1: file is"));
        CHECK_THROWS_WITH(load_inf(dir.file("absent.inf")), Catch::Contains("absent.inf"));
    }
}

TEST_CASE("INF: string substitution cannot blow an INF up to gigabytes", "[inf][errors]") {
    // 200 lines of 1000 `%a%` tokens, `a` a 4000-character string: ~800 MB if expanded whole.
    std::string text = "[Version]\nSignature=\"$Windows NT$\"\n[Strings]\na=\"" + std::string(4000, 'x') + "\"\n[Big]\n";
    std::string line;
    for (int i = 0; i < 1000; ++i) line += (i ? ",%a%" : "%a%");
    for (int i = 0; i < 200; ++i) text += "k" + std::to_string(i) + "=" + line + "\n";
    CHECK_THROWS_WITH(dagda::windows::inf::parse_inf_text(text, "bomb.inf"), Catch::Contains("bomb.inf:6:") && Catch::Contains("after string substitution"));
}
