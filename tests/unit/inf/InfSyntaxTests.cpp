// INF text rules on small INFs: encodings, line ends, comments, quotes, continuation lines,
// section merging and %strkey% substitution.

#include "windows/inf/InfFile.hpp"

#include <catch2/catch.hpp>

using namespace dagda::windows::inf;

namespace {

const std::string version = "[Version]\nSignature=\"$Windows NT$\"\n";

std::vector<std::uint8_t> bytes_of(const std::string& text) { return {text.begin(), text.end()}; }

std::vector<std::uint8_t> utf16(const std::u16string& text, bool big_endian) {
    std::vector<std::uint8_t> out = big_endian ? std::vector<std::uint8_t>{0xFE, 0xFF} : std::vector<std::uint8_t>{0xFF, 0xFE};
    for (const char16_t unit : text) {
        const auto high = static_cast<std::uint8_t>(unit >> 8);
        const auto low = static_cast<std::uint8_t>(unit & 0xFF);
        out.push_back(big_endian ? high : low);
        out.push_back(big_endian ? low : high);
    }
    return out;
}

const InfLine& first_line(const InfFile& inf, const std::string& section) {
    const InfSection* found = inf.find(section);
    REQUIRE(found != nullptr);
    REQUIRE_FALSE(found->lines.empty());
    return found->lines[0];
}

std::vector<std::string> fields(const InfFile& inf, const std::string& section, const std::string& key) {
    const InfSection* found = inf.find(section);
    REQUIRE(found != nullptr);
    const InfLine* line = found->find(key);
    REQUIRE(line != nullptr);
    return line->fields;
}

}  // namespace

TEST_CASE("INF text: quoted strings keep semicolons, blanks and doubled quotes", "[inf][syntax]") {
    const InfFile inf = parse_inf_text(version +
                                           "[S]\n"
                                           "a = \"one; two \"\"three\"\" \"  ; a comment\n"
                                           "b =   SCSI miniport   \n"
                                           "c = x,,,\"\"\n"
                                           "d = \"C:\\\"\n"
                                           "e =\n",
                                       "q.inf");
    CHECK(fields(inf, "S", "a") == std::vector<std::string>{"one; two \"three\" "});
    CHECK(fields(inf, "S", "b") == std::vector<std::string>{"SCSI miniport"});
    CHECK(fields(inf, "S", "c") == std::vector<std::string>{"x", "", "", ""});
    CHECK(fields(inf, "S", "d") == std::vector<std::string>{"C:\\"});  // a quoted final '\' does not continue
    CHECK(fields(inf, "S", "e").empty());
}

TEST_CASE("INF text: a final backslash continues the line", "[inf][syntax]") {
    const InfFile inf = parse_inf_text(version +
                                           "[S]\n"
                                           "AddReg = one, \\\n"
                                           "         two, \\ ; comment after the mark\n"
                                           "         three\n"
                                           "next = 1\n",
                                       "c.inf");
    const InfLine& line = first_line(inf, "S");
    CHECK(line.line == 4);
    CHECK(line.fields == std::vector<std::string>{"one", "two", "three"});
    CHECK(inf.find("S")->find("next")->line == 7);
}

TEST_CASE("INF text: CRLF, LF and CR line ends give the same sections", "[inf][syntax]") {
    const std::string lf = version + "[Models]\n%D% = inst, PCI\\VEN_1&DEV_2 ; x\n\n[Strings]\nD = \"Dev\"\n";
    std::string crlf;
    std::string cr;
    for (const char c : lf) {
        crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
        cr += c == '\n' ? '\r' : c;
    }
    for (const std::string& text : {crlf, cr}) {
        const InfFile inf = parse_inf(bytes_of(text), "e.inf");
        const InfFile reference = parse_inf(bytes_of(lf), "e.inf");
        CHECK(inf.section_names() == reference.section_names());
        CHECK(first_line(inf, "Models").key == "Dev");
        CHECK(first_line(inf, "Models").fields == first_line(reference, "Models").fields);
        CHECK(first_line(inf, "Models").line == 4);
    }
}

TEST_CASE("INF text: encodings", "[inf][syntax]") {
    const std::string body = version + "[S]\nname = \"caf\xC3\xA9 \xE2\x82\xAC\"\n";
    const std::vector<std::string> expected{"caf\xC3\xA9 \xE2\x82\xAC"};

    SECTION("UTF-8 with a BOM") {
        std::vector<std::uint8_t> bytes{0xEF, 0xBB, 0xBF};
        for (const char c : body) bytes.push_back(static_cast<std::uint8_t>(c));
        CHECK(fields(parse_inf(bytes, "u8.inf"), "S", "name") == expected);
    }
    SECTION("ANSI is Windows-1252: 0xE9 is e-acute, 0x80 the euro sign") {
        const std::string ansi = version + "[S]\nname = \"caf\xE9 \x80\"\n";
        CHECK(fields(parse_inf(bytes_of(ansi), "ansi.inf"), "S", "name") == expected);
    }
    SECTION("UTF-16LE and UTF-16BE with a BOM") {
        const std::u16string text = u"[Version]\r\nSignature=\"$Windows NT$\"\r\n[S]\r\nname = \"caf\u00E9 \u20AC\"\r\n";
        CHECK(fields(parse_inf(utf16(text, false), "le.inf"), "S", "name") == expected);
        CHECK(fields(parse_inf(utf16(text, true), "be.inf"), "S", "name") == expected);
    }
    SECTION("UTF-16LE without a BOM, and a surrogate pair") {
        std::vector<std::uint8_t> bytes = utf16(u"[Version]\nSignature=\"$Windows NT$\"\n[S]\nname = \"\U0001F600\"\n", false);
        bytes.erase(bytes.begin(), bytes.begin() + 2);
        CHECK(fields(parse_inf(bytes, "nobom.inf"), "S", "name") == std::vector<std::string>{"\xF0\x9F\x98\x80"});
    }
}

TEST_CASE("INF text: sections merge case-insensitively and keep their first line", "[inf][syntax]") {
    const InfFile inf = parse_inf_text(version + "[Foo]\na = 1\n[Other]\n[FOO]\nb = 2\n", "m.inf");
    const InfSection* foo = inf.find("foo");
    REQUIRE(foo != nullptr);
    CHECK(foo->name == "Foo");
    CHECK(foo->line == 3);
    REQUIRE(foo->lines.size() == 2);
    CHECK(foo->find("B")->fields == std::vector<std::string>{"2"});
    CHECK(inf.section_names() == std::vector<std::string>{"Version", "Foo", "Other"});
}

TEST_CASE("INF strings: %strkey%, %%, dirids and [Strings.<langid>]", "[inf][syntax]") {
    const InfFile inf = parse_inf_text(version +
                                           "[S]\n"
                                           "a = %Name%, %only_neutral%, %only_german%\n"
                                           "b = \"%%SystemRoot%%\\System32\", %12%\\x.sys\n"
                                           "c = %nowhere%\\x\n"
                                           "%NAME% = key\n"
                                           "[Strings.0407]\n"
                                           "Name = \"Deutsch\"\n"
                                           "only_german = \"nur\"\n"
                                           "[Strings]\n"
                                           "name = \"Neutral\"\n"
                                           "only_neutral = \"neutral, with comma\"\n"
                                           "[Strings.0409]\n"
                                           "NAME = \"English\"\n",
                                       "s.inf");
    CHECK(fields(inf, "S", "a") == std::vector<std::string>{"English", "neutral, with comma", "nur"});
    CHECK(fields(inf, "S", "b") == std::vector<std::string>{"%SystemRoot%\\System32", "%12%\\x.sys"});
    const InfLine& undefined = *inf.find("S")->find("c");
    CHECK(undefined.fields == std::vector<std::string>{"%nowhere%\\x"});
    CHECK(undefined.undefined == std::vector<std::string>{"nowhere"});
    CHECK_THROWS_WITH(inf.required(undefined, 0, "Value"), Catch::Contains("s.inf:6: Value uses %nowhere%"));
    CHECK(inf.find("S")->find("English") != nullptr);  // keys are substituted too
}

TEST_CASE("INF numbers: decimal and 0x hex up to 32 bits", "[inf][syntax]") {
    CHECK(parse_inf_number("0x00010001") == 0x10001u);
    CHECK(parse_inf_number(" 42 ") == 42u);
    CHECK(parse_inf_number("0XFFFFFFFF") == 0xFFFFFFFFu);
    CHECK_FALSE(parse_inf_number("0x100000000"));
    CHECK_FALSE(parse_inf_number("12a"));
    CHECK_FALSE(parse_inf_number(""));
    CHECK_FALSE(parse_inf_number("0x"));
}
