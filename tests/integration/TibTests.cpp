// dagda tib through the real binary: NTFS volumes and a whole Windows-made disk captured and
// restored, checked with ntfs-3g's own tools; damaged archives and unsafe targets refused.

#include "common/RangeServer.hpp"
#include "common/Run.hpp"
#include "common/TempDir.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

using namespace dagda::testing;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string filled_file(const TempDir& dir, const std::string& name, std::uint64_t size, char fill) {
    const std::string path = dir.file(name);
    std::ofstream(path, std::ios::binary) << std::string(size, fill);
    return path;
}

RunResult tib(const std::string& arguments) { return run(dagda_command() + " tib " + arguments + " --progress none"); }

/// A volume of `bytes` random bytes captured as g0.tib in `dir`, then changed 1 MB from its end
/// and captured as g1.tib on g0: an incremental chain. Returns the volume, as g1 holds it.
std::string incremental_chain(const TempDir& dir, std::size_t bytes) {
    const std::string volume = dir.file("vol.raw");
    REQUIRE(run("head -c " + std::to_string(bytes) + " /dev/urandom > " + sh_quote(volume)).exit_code == 0);
    REQUIRE(tib("capture --volume " + sh_quote(volume) + " " + sh_quote(dir.file("g0.tib"))).exit_code == 0);
    REQUIRE(run("printf 'new' | dd of=" + sh_quote(volume) + " bs=1 seek=" + std::to_string(bytes - 1000000) + " conv=notrunc status=none").exit_code == 0);
    REQUIRE(tib("capture --volume " + sh_quote(volume) + " " + sh_quote(dir.file("g1.tib")) + " --base " + sh_quote(dir.file("g0.tib"))).exit_code == 0);
    return volume;
}

}  // namespace

TEST_CASE("tib: an NTFS volume restored over garbage is sound, backup boot sector included", "[image][tib][integration]") {
    TempDir dir;
    const std::string volume = shared_fixture(dir, "disks/ntfs-volume.img.xz");
    const std::string archive = dir.file("v.tib");
    REQUIRE(tib("capture --volume " + sh_quote(volume) + " " + sh_quote(archive)).exit_code == 0);
    const json info = json::parse(run(dagda_command() + " tib info --json " + sh_quote(archive)).out);
    CHECK(info["volumes"][0]["filesystem"] == "ntfs");
    CHECK(info["volumes"][0]["block_size"] == 4096);
    CHECK(tib("verify " + sh_quote(archive)).exit_code == 0);

    const std::uint64_t size = std::filesystem::file_size(volume);
    const std::string target = filled_file(dir, "target.raw", size, '\xff');
    const RunResult restored = tib("restore " + sh_quote(archive) + " " + sh_quote(target) + " --yes --verify");
    INFO(restored.err);
    REQUIRE(restored.exit_code == 0);
    CHECK_THAT(restored.out, Catch::Contains("verified"));
    CHECK(file_range(target, size - 512, 512) == file_range(volume, size - 512, 512));
    CHECK(file_range(target, 0, 8192) == file_range(volume, 0, 8192));
    if (have_program("ntfsfix")) {
        CHECK(run("ntfsfix -n " + sh_quote(target)).exit_code == 0);
        CHECK(run("ntfsls " + sh_quote(target)).exit_code == 0);
    }
}

TEST_CASE("tib: a whole Windows 7 disk onto a larger disk, every partition's NTFS readable", "[image][tib][disk][integration]") {
    TempDir dir;
    const std::string disk = shared_fixture(dir, "disks/mbr-two-ntfs.raw.xz");
    const std::string archive = dir.file("d.tib");
    const RunResult captured = tib("capture --disk " + sh_quote(disk) + " " + sh_quote(archive) + " --json");
    INFO(captured.err);
    REQUIRE(captured.exit_code == 0);
    CHECK(json::parse(captured.out)["volumes"].size() == 2);
    const std::string target = make_image(dir, "target.raw", 256ull << 20);
    // Each NTFS as large as it was (the grown case, which needs a loop device, is tested below).
    const RunResult restored = tib("restore " + sh_quote(archive) + " " + sh_quote(target) + " --disk --yes --verify --no-grow-fs");
    INFO(restored.out << restored.err);
    REQUIRE(restored.exit_code == 0);
    CHECK(file_range(target, 0, 440) == file_range(disk, 0, 440));          // boot code
    CHECK(file_range(target, 512, 127 * 512) == file_range(disk, 512, 127 * 512));  // the gap before partition 1
    const std::string dump = run("sfdisk --dump " + sh_quote(target)).out;
    CHECK_THAT(dump, Catch::Contains("label-id: 0x7ef7f55d"));
    CHECK_THAT(dump, Catch::Contains("start=         128, size=       55296, type=7"));
    CHECK_THAT(dump, Catch::Contains("start=       55424,"));
    if (have_program("ntfsfix")) {
        for (const auto& [start, sectors] : {std::pair{128ull, 55296ull}, std::pair{55424ull, 61440ull}}) {
            const std::string part = dir.file("part.raw");
            REQUIRE(run("dd if=" + sh_quote(target) + " of=" + sh_quote(part) + " bs=512 skip=" + std::to_string(start) +
                        " count=" + std::to_string(sectors) + " status=none").exit_code == 0);
            CHECK(run("ntfsfix -n " + sh_quote(part)).exit_code == 0);
        }
    }
}

TEST_CASE("tib restore --disk onto a disk of the source's size: the source's table and sector 0, byte for byte",
          "[image][tib][disk][integration]") {
    TempDir dir;
    const std::string disk = shared_fixture(dir, "disks/mbr-two-ntfs.raw.xz");
    // The two reserved bytes after the disk signature as some disks have them ("copy-protected").
    REQUIRE(run("printf '\\132\\132' | dd of=" + sh_quote(disk) + " bs=1 seek=444 conv=notrunc status=none").exit_code == 0);
    const std::string archive = dir.file("d.tib");
    REQUIRE(tib("capture --disk " + sh_quote(disk) + " " + sh_quote(archive)).exit_code == 0);
    const std::string target = make_image(dir, "same.raw", fs::file_size(disk));
    const RunResult restored = tib("restore " + sh_quote(archive) + " " + sh_quote(target) + " --disk --yes");
    INFO(restored.out << restored.err);
    REQUIRE(restored.exit_code == 0);
    const auto dump = [](const std::string& image) {
        std::string text = run("sfdisk --dump " + sh_quote(image)).out;
        for (std::size_t at; (at = text.find(image)) != std::string::npos;) text.replace(at, image.size(), "DISK");
        return text;
    };
    CHECK(dump(target) == dump(disk));
    CHECK(file_range(target, 0, 512) == file_range(disk, 0, 512));
    CHECK(file_range(target, 444, 2) == "ZZ");
    CHECK(file_range(target, 0, 128 * 512) == file_range(disk, 0, 128 * 512));  // the whole first track
    CHECK_THAT(restored.out, !Catch::Contains("Grow NTFS"));
}

TEST_CASE("tib restore --disk onto a larger disk grows each NTFS to fill its partition, unless --no-grow-fs",
          "[image][tib][disk][root][loop][integration]") {
    if (::geteuid() != 0 || !fs::exists("/dev/loop-control")) {
        WARN("skipped: growing NTFS needs root and loop devices");
        return;
    }
    TempDir dir;
    const std::string disk = shared_fixture(dir, "disks/mbr-two-ntfs.raw.xz");
    REQUIRE(have_program("ntfsfix"));
    const std::string archive = dir.file("d.tib");
    REQUIRE(tib("capture --disk " + sh_quote(disk) + " " + sh_quote(archive)).exit_code == 0);
    // Partition 2 (61440 sectors on the source) takes the 32 MiB more.
    const std::uint64_t start = 55424, sectors = 61440 + 65536;
    const auto partition_2 = [&](const std::string& image) {
        const std::string part = dir.file("part2.raw");
        REQUIRE(run("dd if=" + sh_quote(image) + " of=" + sh_quote(part) + " bs=512 skip=" + std::to_string(start) +
                    " count=" + std::to_string(sectors) + " status=none").exit_code == 0);
        return part;
    };
    const auto ntfs_sectors = [](const std::string& part) {
        const std::string field = file_range(part, 0x28, 8);
        std::uint64_t value = 0;
        for (std::size_t i = 8; i-- > 0;) value = (value << 8) | static_cast<unsigned char>(field[i]);
        return value;
    };

    const std::string grown = make_image(dir, "grown.raw", fs::file_size(disk) + (32ull << 20));
    const RunResult restored = tib("restore " + sh_quote(archive) + " " + sh_quote(grown) + " --disk --yes --verify");
    INFO(restored.out << restored.err);
    REQUIRE(restored.exit_code == 0);
    CHECK_THAT(restored.out, Catch::Contains("Grow NTFS on partition 2 from 30 MiB to 62 MiB"));
    CHECK_THAT(restored.out, Catch::Contains("grew NTFS on partition 2"));
    CHECK_THAT(run("sfdisk --dump " + sh_quote(grown)).out,
               Catch::Contains("start=       55424, size=      " + std::to_string(sectors) + ", type=7"));
    std::string part = partition_2(grown);
    const RunResult checked = run("ntfsfix -n " + sh_quote(part));
    INFO(checked.out);
    CHECK(checked.exit_code == 0);
    CHECK_THAT(checked.out, Catch::Contains("alternate boot sector... OK"));
    // The filesystem fills the partition as Windows formats one: all but the last sector, which
    // holds the backup boot sector, a copy of the first.
    CHECK(ntfs_sectors(part) + 1 == sectors);
    CHECK(file_range(part, (sectors - 1) * 512, 512) == file_range(part, 0, 512));
    CHECK(run("ntfsinfo -m " + sh_quote(part)).exit_code == 0);  // mounts: not left dirty
    CHECK(run("ntfsls " + sh_quote(part)).exit_code == 0);

    const std::string kept = make_image(dir, "kept.raw", fs::file_size(disk) + (32ull << 20));
    const RunResult left = tib("restore " + sh_quote(archive) + " " + sh_quote(kept) + " --disk --yes --no-grow-fs");
    INFO(left.out << left.err);
    REQUIRE(left.exit_code == 0);
    CHECK_THAT(left.out, Catch::Contains("Leave NTFS on partition 2 at 30 MiB in its 62 MiB partition"));
    part = partition_2(kept);
    CHECK(ntfs_sectors(part) + 1 == 61440);
    CHECK(run("ntfsfix -n " + sh_quote(part)).exit_code != 0);  // its backup boot sector is not at the end
}

TEST_CASE("tib: progress as JSON lines for the agent", "[image][tib][integration]") {
    TempDir dir;
    const std::string volume = make_image(dir, "v.raw", 4 << 20);
    const RunResult captured = run(dagda_command() + " tib capture --volume " + sh_quote(volume) + " " +
                                   sh_quote(dir.file("v.tib")) + " --progress json");
    REQUIRE(captured.exit_code == 0);
    std::istringstream lines(captured.err);
    std::string line;
    json last;
    while (std::getline(lines, line)) last = json::parse(line);
    CHECK(last["event"] == "progress");
    CHECK(last["bytes_done"] == (4 << 20));
    CHECK(last["bytes_total"] == (4 << 20));
}

TEST_CASE("tib restore: a damaged archive is never reported restored", "[image][tib][corrupt][integration]") {
    TempDir dir;
    const std::string volume = dir.file("v.raw");
    {
        std::ofstream out(volume, std::ios::binary);
        for (int i = 0; i < (2 << 20) / 16; ++i) out << "0123456789abcdef";
    }
    const std::string archive = dir.file("v.tib");
    REQUIRE(tib("capture --volume " + sh_quote(volume) + " " + sh_quote(archive) + " --level 0").exit_code == 0);
    // Past the header (64), GENR and the first chunk's record and chunk headers: inside its data.
    REQUIRE(run("printf 'X' | dd of=" + sh_quote(archive) + " bs=1 seek=1000 conv=notrunc status=none").exit_code == 0);
    const RunResult verified = tib("verify " + sh_quote(archive));
    CHECK(verified.exit_code == 1);
    CHECK_THAT(verified.err, Catch::Contains(archive));
    const RunResult restored = tib("restore " + sh_quote(archive) + " " + sh_quote(dir.file("out.raw")));
    CHECK(restored.exit_code == 1);
    CHECK_THAT(restored.err, Catch::Contains("chunk digest mismatch"));
    CHECK_THAT(restored.out, !Catch::Contains("Done"));
}

TEST_CASE("tib restore: an existing target needs its identity asserted, and must be large enough", "[image][tib][safety][integration]") {
    TempDir dir;
    const std::string volume = dir.file("v.raw");
    std::ofstream(volume, std::ios::binary) << std::string(1 << 20, 'v');
    const std::string archive = dir.file("v.tib");
    REQUIRE(tib("capture --volume " + sh_quote(volume) + " " + sh_quote(archive)).exit_code == 0);
    const std::string target = filled_file(dir, "t.raw", 1 << 20, 't');
    const std::string before = file_digest(target);
    const RunResult refused = tib("restore " + sh_quote(archive) + " " + sh_quote(target));
    CHECK(refused.exit_code == 3);
    CHECK_THAT(refused.err, Catch::Contains("identity is not asserted"));
    const std::string small = filled_file(dir, "small.raw", 1 << 19, 's');
    const std::string small_before = file_digest(small);
    const RunResult too_small = tib("restore " + sh_quote(archive) + " " + sh_quote(small) + " --yes");
    CHECK(too_small.exit_code == 3);
    CHECK_THAT(too_small.err, Catch::Contains("has only 524288 bytes"));
    CHECK(file_digest(target) == before);
    CHECK(file_digest(small) == small_before);
    CHECK(tib("restore " + sh_quote(archive) + " " + sh_quote(target) + " --volume 0 --disk").exit_code == 2);
    CHECK(tib("capture " + sh_quote(dir.file("x.tib"))).exit_code == 2);
    const std::string archive_before = file_digest(archive);
    const RunResult overwrite = tib("capture --volume " + sh_quote(volume) + " " + sh_quote(archive));
    CHECK(overwrite.exit_code == 3);
    CHECK_THAT(overwrite.err, Catch::Contains("refusing to overwrite the existing archive"));
    CHECK(file_digest(archive) == archive_before);
}

TEST_CASE("tib: incremental generations hold only changed blocks - each restores exactly", "[image][tib][incremental][integration]") {
    TempDir dir;
    const std::string volume = dir.file("vol.raw");
    REQUIRE(run("head -c 6294528 /dev/urandom > " + sh_quote(volume)).exit_code == 0);  // 6 MiB + 3000 bytes
    const auto snapshot = [&](const std::string& name) {
        REQUIRE(run("cp " + sh_quote(volume) + " " + sh_quote(dir.file(name))).exit_code == 0);
        return dir.file(name);
    };
    const auto capture = [&](const std::string& name, const std::string& base) {
        const RunResult r = tib("capture --volume " + sh_quote(volume) + " " + sh_quote(dir.file(name)) +
                                (base.empty() ? "" : " --base " + sh_quote(dir.file(base))));
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    };
    const auto patch = [&](const std::string& bytes, std::uint64_t offset) {
        REQUIRE(run("printf '" + bytes + "' | dd of=" + sh_quote(volume) + " bs=1 seek=" + std::to_string(offset) +
                    " conv=notrunc status=none").exit_code == 0);
    };
    capture("g0.tib", "");
    const std::string v0 = snapshot("v0.raw");
    patch("CHANGED", 5 * 1024 * 1024 + 100);
    REQUIRE(run("dd if=/dev/zero of=" + sh_quote(volume) + " bs=4096 seek=300 count=3 conv=notrunc status=none").exit_code == 0);
    capture("g1.tib", "g0.tib");
    const std::string v1 = snapshot("v1.raw");
    patch("again", 6 * 1024 * 1024 + 2000);  // inside the short last block
    REQUIRE(run("dd if=" + sh_quote(v0) + " of=" + sh_quote(volume) + " bs=4096 skip=300 seek=300 count=1 conv=notrunc status=none").exit_code == 0);
    capture("g2.tib", "g1.tib");

    CHECK(std::filesystem::file_size(dir.file("g1.tib")) < 16 * 1024);  // one 4 KiB block changed
    CHECK(std::filesystem::file_size(dir.file("g2.tib")) < 16 * 1024);  // block 300 comes back from g0
    const json info = json::parse(run(dagda_command() + " tib info --json " + sh_quote(dir.file("g2.tib"))).out);
    CHECK(info["chain"].size() == 3);
    CHECK(tib("verify " + sh_quote(dir.file("g2.tib"))).exit_code == 0);
    for (const auto& [archive, expected] : {std::pair{"g2.tib", volume}, std::pair{"g1.tib", v1}, std::pair{"g0.tib", v0}}) {
        const std::string out = dir.file(std::string("out-") + archive + ".raw");
        const RunResult restored = tib("restore " + sh_quote(dir.file(archive)) + " " + sh_quote(out) + " --verify");
        INFO(archive << restored.err);
        REQUIRE(restored.exit_code == 0);
        CHECK(file_digest(out) == file_digest(expected));
    }

    SECTION("a missing base is named") {
        REQUIRE(run("mv " + sh_quote(dir.file("g0.tib")) + " " + sh_quote(dir.file("elsewhere.tib"))).exit_code == 0);
        const RunResult r = tib("restore " + sh_quote(dir.file("g2.tib")) + " " + sh_quote(dir.file("x.raw")));
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.err, Catch::Contains("its base g0.tib is not in"));
    }
    SECTION("a different archive under the base's name is refused") {
        REQUIRE(tib("capture --volume " + sh_quote(v0) + " " + sh_quote(dir.file("other.tib"))).exit_code == 0);
        REQUIRE(run("mv " + sh_quote(dir.file("other.tib")) + " " + sh_quote(dir.file("g0.tib"))).exit_code == 0);
        const RunResult r = tib("verify " + sh_quote(dir.file("g2.tib")));
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.err, Catch::Contains("is based on generation"));
    }
}

TEST_CASE("tib: the frozen v1 archives still restore exactly", "[image][tib][compat][integration]") {
    TempDir dir;
    const std::string frozen = std::string(DAGDA_SOURCE_DIR) + "/tests/fixtures/tib/v1/";
    struct Sample {
        const char* archive;
        const char* generation;
        const char* sha256;
    };
    for (const Sample s : {Sample{"sample-full.tib", "c698c85598e50ddf7fb6f1bc492569bf",
                                  "a6efc25b33f09634470a1a1e2120eb8e024a357c5c2bc28e8c2e072998307e08"},
                           Sample{"sample-incremental.tib", "25c5b70edc6efd77f401bd4f02506a7c",
                                  "1a6ea1ee28d3106e9357ee21a49e851e6ef85151d4e8a2385d042808b61eada9"}}) {
        CAPTURE(s.archive);
        const json info = json::parse(run(dagda_command() + " tib info --json " + sh_quote(frozen + s.archive)).out);
        CHECK(info["generation"]["id"] == s.generation);
        const std::string out = dir.file(std::string(s.archive) + ".raw");
        CHECK(info["format"]["version"] == "1.0");
        const RunResult restored = tib("restore " + sh_quote(frozen + s.archive) + " " + sh_quote(out) + " --verify");
        INFO(restored.err);
        REQUIRE(restored.exit_code == 0);
        CHECK(file_digest(out) == s.sha256);
    }
}

TEST_CASE("tib: version 1.1 captures hash once, an incremental on a 1.0 base keeps the 1.0 digests", "[image][tib][compat][integration]") {
    TempDir dir;
    // The frozen 1.0 full generation, as the base of a new incremental (bases are found by name).
    const std::string frozen = std::string(DAGDA_SOURCE_DIR) + "/tests/fixtures/tib/v1/sample-full.tib";
    REQUIRE(run("cp " + sh_quote(frozen) + " " + sh_quote(dir.file("sample-full.tib"))).exit_code == 0);
    const std::string volume = dir.file("volume.raw");
    REQUIRE(tib("restore " + sh_quote(dir.file("sample-full.tib")) + " " + sh_quote(volume)).exit_code == 0);
    REQUIRE(run("printf 'changed' | dd of=" + sh_quote(volume) + " bs=1 seek=70000 conv=notrunc status=none").exit_code == 0);
    REQUIRE(tib("capture --volume " + sh_quote(volume) + " " + sh_quote(dir.file("next.tib")) + " --base " +
                sh_quote(dir.file("sample-full.tib"))).exit_code == 0);
    REQUIRE(tib("capture --volume " + sh_quote(volume) + " " + sh_quote(dir.file("full.tib"))).exit_code == 0);
    const auto info = [&](const std::string& name) { return json::parse(run(dagda_command() + " tib info --json " + sh_quote(dir.file(name))).out); };
    CHECK(info("full.tib")["format"] == json{{"version", "1.1"}, {"features", {"zstd", "shared_digest"}}});
    CHECK(info("next.tib")["format"] == json{{"version", "1.1"}, {"features", {"zstd", "incremental"}}});
    CHECK(fs::file_size(dir.file("next.tib")) < fs::file_size(dir.file("full.tib")) / 2);
    for (const char* name : {"full.tib", "next.tib"}) {
        INFO(name);
        CHECK(tib("verify " + sh_quote(dir.file(name))).exit_code == 0);
        const std::string out = dir.file(std::string(name) + ".raw");
        REQUIRE(tib("restore " + sh_quote(dir.file(name)) + " " + sh_quote(out) + " --verify").exit_code == 0);
        CHECK(file_digest(out) == file_digest(volume));
    }
}

TEST_CASE("tib: restore and verify straight from an HTTP server, incremental chain included", "[image][tib][http][net][integration]") {
    TempDir dir;
    const std::string volume = incremental_chain(dir, 3000000);
    RangeServer server(dir.path());
    CHECK(tib("verify " + server.url("g1.tib")).exit_code == 0);
    const std::string out = dir.file("out.raw");
    const RunResult restored = tib("restore " + server.url("g1.tib") + " " + sh_quote(out) + " --verify");
    INFO(restored.err);
    REQUIRE(restored.exit_code == 0);
    CHECK(file_digest(out) == file_digest(volume));
    SECTION("a server that keeps dropping the connection: an error, never a finished restore") {
        server.drop_next(1000);
        const RunResult dropped = tib("restore " + server.url("g1.tib") + " " + sh_quote(dir.file("out2.raw")));
        CHECK(dropped.exit_code == 1);
        CHECK_THAT(dropped.err, Catch::Contains(server.url("g1.tib")));
        CHECK_THAT(dropped.out, !Catch::Contains("Done"));
    }
}

TEST_CASE("tib --archive-urls: a chain read through the signed URLs of a file, and a line that is no URL refused", "[image][tib][http][net][integration]") {
    TempDir dir;
    const std::string volume = incremental_chain(dir, 2000000);
    RangeServer server(dir.path());
    server.require_query(true);  // as an object store: unsigned requests are refused
    const std::string urls = dir.file("chain.urls");
    const auto write_urls = [&](const std::string& text) { std::ofstream(urls, std::ios::trunc) << text; };

    CHECK(tib("verify " + server.url("g1.tib")).exit_code == 1);
    // Both files, the incremental's base too, are read through their signed URLs.
    write_urls(server.url("g0.tib") + "?X-Amz-Signature=0\n\n" + server.url("g1.tib") + "?X-Amz-Signature=1\n");
    const RunResult verified = tib("verify " + server.url("g1.tib") + " --archive-urls " + sh_quote(urls));
    INFO(verified.err);
    CHECK(verified.exit_code == 0);
    const RunResult restored = tib("restore " + server.url("g1.tib") + " " + sh_quote(dir.file("out.raw")) + " --archive-urls " + sh_quote(urls));
    INFO(restored.err);
    REQUIRE(restored.exit_code == 0);
    CHECK(file_digest(dir.file("out.raw")) == file_digest(volume));

    // Bad input: a line that is not an http(s) URL is a usage error naming the file and line.
    write_urls(server.url("g0.tib") + "?X-Amz-Signature=0\nftp://127.0.0.1/g1.tib\n");
    const RunResult bad_line = tib("verify " + server.url("g1.tib") + " --archive-urls " + sh_quote(urls));
    CHECK(bad_line.exit_code == 2);
    CHECK_THAT(bad_line.err, Catch::Contains(urls + ": line 2 is not an http:// or https:// URL"));
    const RunResult missing = run(dagda_command() + " tib info " + server.url("g1.tib") + " --archive-urls " + sh_quote(dir.file("none.urls")));
    CHECK(missing.exit_code == 1);
    CHECK_THAT(missing.err, Catch::Contains("cannot read the archive URLs in " + dir.file("none.urls")));
}

TEST_CASE("tib restore: an interrupted restore resumes from its checkpoint, and ends identical", "[image][tib][resume][net][integration]") {
    TempDir dir;
    const std::string volume = dir.file("vol.raw");
    REQUIRE(run("head -c 41943040 /dev/urandom > " + sh_quote(volume)).exit_code == 0);  // 40 windows
    REQUIRE(tib("capture --volume " + sh_quote(volume) + " " + sh_quote(dir.file("v.tib")) + " --level 0").exit_code == 0);
    RangeServer server(dir.path());
    const std::string url = server.url("v.tib");

    const int before_full = server.requests();
    REQUIRE(tib("restore " + url + " " + sh_quote(dir.file("full.raw")) + " --threads 1").exit_code == 0);
    const int full_requests = server.requests() - before_full;

    const std::string target = dir.file("out.raw");
    server.fail_after(full_requests / 2);  // the server goes down halfway through
    const RunResult interrupted = tib("restore " + url + " " + sh_quote(target) + " --threads 1 --checkpoint-every 2");
    REQUIRE(interrupted.exit_code == 1);
    CHECK_THAT(interrupted.out, !Catch::Contains("Done"));
    const std::string checkpoint = target + ".dagda-checkpoint";
    REQUIRE(std::filesystem::exists(checkpoint));
    const json state = json::parse(file_bytes(checkpoint));
    CHECK(state["next_window"].get<std::uint64_t>() > 0);

    server.fail_after(-1);
    const int before_resume = server.requests();
    const RunResult resumed = tib("restore " + url + " " + sh_quote(target) + " --threads 1 --verify");
    INFO(resumed.err);
    REQUIRE(resumed.exit_code == 0);
    CHECK_THAT(resumed.err, Catch::Contains("resuming volume 0 at window"));
    CHECK(server.requests() - before_resume < full_requests);  // it did not start over
    CHECK(file_digest(target) == file_digest(volume));
    CHECK_FALSE(std::filesystem::exists(checkpoint));
}

TEST_CASE("tib ls and extract: files of any generation, read from the archive without a restore", "[image][tib][ntfs][integration]") {
    REQUIRE(have_program("mkntfs"));  // ntfs-3g's tools (scripts/setup installs them)
    REQUIRE(have_program("ntfscp"));
    TempDir dir;
    const std::string volume = make_image(dir, "vol.raw", 32ull << 20);
    REQUIRE(run("mkntfs -q -F -Q -L DATA " + sh_quote(volume)).exit_code == 0);
    const std::string old_file = dir.file("old.bin");
    const std::string new_file = dir.file("new.bin");
    REQUIRE(run("head -c 3000000 /dev/urandom > " + sh_quote(old_file) + " && head -c 2500000 /dev/urandom > " + sh_quote(new_file)).exit_code == 0);
    REQUIRE(run("ntfscp -q " + sh_quote(volume) + " " + sh_quote(old_file) + " /report.bin").exit_code == 0);
    REQUIRE(tib("capture --volume " + sh_quote(volume) + " " + sh_quote(dir.file("g0.tib"))).exit_code == 0);
    REQUIRE(run("ntfscp -q -f " + sh_quote(volume) + " " + sh_quote(new_file) + " /report.bin").exit_code == 0);
    REQUIRE(tib("capture --volume " + sh_quote(volume) + " " + sh_quote(dir.file("g1.tib")) + " --base " + sh_quote(dir.file("g0.tib"))).exit_code == 0);

    const RunResult listed = run(dagda_command() + " tib ls " + sh_quote(dir.file("g1.tib")) + " / --json");
    INFO(listed.err);
    REQUIRE(listed.exit_code == 0);
    bool found = false;
    for (const auto& e : json::parse(listed.out))
        if (e["name"] == "report.bin") found = e["size_bytes"] == 2500000;
    CHECK(found);
    for (const auto& [archive, expected] : {std::pair{"g1.tib", new_file}, std::pair{"g0.tib", old_file}}) {
        const std::string out = dir.file(std::string("from-") + archive);
        const RunResult extracted = run(dagda_command() + " tib extract " + sh_quote(dir.file(archive)) + ":0 /report.bin " + sh_quote(out));
        INFO(archive << extracted.err);
        REQUIRE(extracted.exit_code == 0);
        CHECK(file_digest(out) == file_digest(expected));
    }
    const RunResult again = run(dagda_command() + " tib extract " + sh_quote(dir.file("g1.tib")) + " /report.bin " + sh_quote(new_file));
    CHECK(again.exit_code == 3);
    const RunResult missing = run(dagda_command() + " tib ls " + sh_quote(dir.file("g1.tib")) + " /no/such/folder");
    CHECK(missing.exit_code == 1);
    CHECK_THAT(missing.err, Catch::Contains("/no/such/folder"));
}

TEST_CASE("tib extract: a folder tree of a Windows-made volume", "[image][tib][ntfs][integration]") {
    TempDir dir;
    const std::string volume = shared_fixture(dir, "disks/windows-skeleton-volume.raw.xz");
    REQUIRE(tib("capture --volume " + sh_quote(volume) + " " + sh_quote(dir.file("w.tib"))).exit_code == 0);
    const std::string out = dir.file("Windows");
    const RunResult extracted = run(dagda_command() + " tib extract " + sh_quote(dir.file("w.tib")) + " /Windows " + sh_quote(out));
    INFO(extracted.err);
    REQUIRE(extracted.exit_code == 0);
    REQUIRE(std::filesystem::exists(out + "/System32/config/syslog"));
    if (have_program("ntfscat"))
        CHECK(file_bytes(out + "/System32/config/syslog") ==
              run("ntfscat " + sh_quote(volume) + " /Windows/System32/config/syslog").out);

    // The same folder as one zip and one tar (read back by Python's own readers), and a file on
    // standard output; a folder there, a climbing path and an existing archive file are refused.
    for (const std::string& format : {std::string("zip"), std::string("tar")}) {
        const std::string packed = dir.file("Windows." + format);
        const RunResult made = run(dagda_command() + " tib extract " + sh_quote(dir.file("w.tib")) + " /Windows " + sh_quote(packed) + " --" + format);
        INFO(made.err);
        REQUIRE(made.exit_code == 0);
        const std::string read = format == "zip" ? "import zipfile,sys; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read('Windows/System32/config/syslog'))"
                                                 : "import tarfile,sys; sys.stdout.buffer.write(tarfile.open(sys.argv[1]).extractfile('Windows/System32/config/syslog').read())";
        CHECK(run("/usr/bin/python3 -c " + sh_quote(read) + " " + sh_quote(packed)).out == file_bytes(out + "/System32/config/syslog"));
        CHECK(run(dagda_command() + " tib extract " + sh_quote(dir.file("w.tib")) + " /Windows " + sh_quote(packed) + " --" + format).exit_code == 3);
    }
    CHECK(run(dagda_command() + " tib extract " + sh_quote(dir.file("w.tib")) + " /Windows/System32/config/syslog -").out ==
          file_bytes(out + "/System32/config/syslog"));
    const RunResult folder = run(dagda_command() + " tib extract " + sh_quote(dir.file("w.tib")) + " /Windows -");
    CHECK(folder.exit_code == 2);
    CHECK(folder.out.empty());
    const RunResult climbing = run(dagda_command() + " tib extract " + sh_quote(dir.file("w.tib")) + " /Windows/../.. - --zip");
    CHECK(climbing.exit_code == 2);
    CHECK_THAT(climbing.err, Catch::Contains("\"..\""));
    CHECK(climbing.out.empty());
}

TEST_CASE("tib extract: a destination that is a symbolic link, even a dangling one, is refused and nothing is written through it",
          "[image][tib][ntfs][safety][integration]") {
    if (!have_program("mkntfs") || !have_program("ntfscp")) FAIL("missing: ntfs-3g tools are not installed");
    TempDir dir;
    const std::string volume = make_image(dir, "vol.raw", 32ull << 20);
    REQUIRE(run("mkntfs -q -F -Q -L DATA " + sh_quote(volume)).exit_code == 0);
    const std::string report = filled_file(dir, "report.bin", 5000, 'r');
    REQUIRE(run("ntfscp -q " + sh_quote(volume) + " " + sh_quote(report) + " /report.bin").exit_code == 0);
    REQUIRE(tib("capture --volume " + sh_quote(volume) + " " + sh_quote(dir.file("v.tib"))).exit_code == 0);
    fs::create_directories(dir.path() / "outside");

    // A dangling link to a file outside, as the destination of a file and of the root folder.
    for (const auto& [path, link, target] : {std::tuple{"/report.bin", "file-link", "outside/written.bin"},
                                             std::tuple{"/", "folder-link", "outside/tree"}}) {
        fs::create_symlink(dir.file(target), dir.file(link));
        const RunResult extracted = run(dagda_command() + " tib extract " + sh_quote(dir.file("v.tib")) + " " + path + " " + sh_quote(dir.file(link)));
        INFO(path << ": " << extracted.out << extracted.err);
        CHECK(extracted.exit_code == 3);
        CHECK_THAT(extracted.err, Catch::Contains(dir.file(link)) && Catch::Contains("symbolic link"));
        CHECK_FALSE(fs::exists(dir.file(target)));
        CHECK(fs::is_symlink(dir.file(link)));
    }
    CHECK(fs::is_empty(dir.path() / "outside"));
    // An ordinary new path still works.
    const RunResult fine = run(dagda_command() + " tib extract " + sh_quote(dir.file("v.tib")) + " /report.bin " + sh_quote(dir.file("new.bin")));
    INFO(fine.err);
    CHECK(fine.exit_code == 0);
    CHECK(file_bytes(dir.file("new.bin")) == std::string(5000, 'r'));
}

TEST_CASE("tib: restore from an https server, trusted through the system's CA store, refused when its certificate is not",
          "[image][tib][http][net][tls][integration]") {
    TempDir dir;
    const std::string volume = shared_fixture(dir, "disks/ntfs-volume.img.xz");
    REQUIRE(have_program("openssl"));
    // A certificate for 127.0.0.1, made for this test; trusted only where SSL_CERT_FILE names it.
    REQUIRE(run("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
                sh_quote(dir.file("key.pem")) + " -out " + sh_quote(dir.file("cert.pem")) + " 2>/dev/null")
                .exit_code == 0);
    fs::create_directories(dir.path() / "served");
    REQUIRE(tib("capture --volume " + sh_quote(volume) + " " + sh_quote(dir.file("served/v.tib"))).exit_code == 0);
    RangeServer server(dir.path() / "served", dir.file("cert.pem"), dir.file("key.pem"));
    const std::string url = server.url("v.tib");
    REQUIRE(url.rfind("https://", 0) == 0);

    const std::string untrusted = make_image(dir, "untrusted.raw", fs::file_size(volume));
    const std::string before = file_digest(untrusted);
    const RunResult refused = run("SSL_CERT_FILE=/nonexistent " + dagda_command() + " tib restore " + sh_quote(url) + " " + sh_quote(untrusted) +
                                  " --yes --progress none");
    CHECK(refused.exit_code != 0);
    CHECK_THAT(refused.err, Catch::Contains("certificate"));
    CHECK(file_digest(untrusted) == before);

    const std::string target = make_image(dir, "target.raw", fs::file_size(volume));
    const RunResult restored = run("SSL_CERT_FILE=" + sh_quote(dir.file("cert.pem")) + " " + dagda_command() + " tib restore " + sh_quote(url) +
                                   " " + sh_quote(target) + " --yes --verify --progress none");
    INFO(restored.err);
    REQUIRE(restored.exit_code == 0);
    CHECK(server.requests() > 0);
    CHECK(file_range(target, 0, 8192) == file_range(volume, 0, 8192));
    if (have_program("ntfsfix")) CHECK(run("ntfsfix -n " + sh_quote(target)).exit_code == 0);
}

TEST_CASE("tib: an incremental finds unchanged windows by their digests alone, never reading the base's chunks", "[image][tib][integration]") {
    TempDir dir;
    const std::string volume = dir.file("volume.raw");
    REQUIRE(run("head -c 3145728 /dev/urandom > " + sh_quote(volume)).exit_code == 0);
    // Three 1 MiB windows, written in order (one thread): the first chunk record is window 0's.
    REQUIRE(tib("capture --volume " + sh_quote(volume) + " " + sh_quote(dir.file("g0.tib")) + " --window 1048576 --threads 1").exit_code == 0);
    REQUIRE(run("printf 'changed' | dd of=" + sh_quote(volume) + " bs=1 seek=2700000 conv=notrunc status=none").exit_code == 0);
    // Damage window 0's chunk in the base: any read of it now fails its digest.
    std::string base = file_bytes(dir.file("g0.tib"));
    const std::size_t chunk = base.find("CHNK", 64);
    REQUIRE(chunk != std::string::npos);
    base[chunk + 4096] = static_cast<char>(base[chunk + 4096] ^ 0x5a);  // inside its 1 MiB of data
    write_file(dir.file("g0.tib"), base);
    REQUIRE(tib("verify " + sh_quote(dir.file("g0.tib"))).exit_code != 0);
    // The capture compares window digests (the base's definition, inherited) before any data, so
    // windows 0 and 1 are settled without reading the damaged chunk; only window 2 is stored.
    const RunResult next = tib("capture --volume " + sh_quote(volume) + " " + sh_quote(dir.file("g1.tib")) + " --window 1048576 --base " +
                               sh_quote(dir.file("g0.tib")));
    INFO(next.err);
    CHECK(next.exit_code == 0);
    CHECK(fs::file_size(dir.file("g1.tib")) < 1200000);
}

TEST_CASE("tib: generations are chosen by number (ARCHIVE@N, --generation N) in info, ls, extract and restore",
          "[image][tib][ntfs][generation][integration]") {
    REQUIRE(have_program("mkntfs"));
    REQUIRE(have_program("ntfscp"));
    TempDir dir;
    const std::string volume = make_image(dir, "vol.raw", 32ull << 20);
    REQUIRE(run("mkntfs -q -F -Q -L DATA " + sh_quote(volume)).exit_code == 0);
    // One file, rewritten between captures: generation N holds contents[N - 1].
    std::vector<std::string> contents;
    for (int n = 1; n <= 3; ++n) {
        const std::string content = dir.file("content-" + std::to_string(n));
        REQUIRE(run("head -c " + std::to_string(1000000 + n * 100000) + " /dev/urandom > " + sh_quote(content)).exit_code == 0);
        REQUIRE(run("ntfscp -q -f " + sh_quote(volume) + " " + sh_quote(content) + " /report.bin").exit_code == 0);
        const std::string name = "g" + std::to_string(n) + ".tib";
        const RunResult captured = tib("capture --volume " + sh_quote(volume) + " " + sh_quote(dir.file(name)) +
                                       (n == 1 ? "" : " --base " + sh_quote(dir.file("g" + std::to_string(n - 1) + ".tib"))));
        INFO(captured.err);
        REQUIRE(captured.exit_code == 0);
        contents.push_back(content);
    }
    const std::string newest = dir.file("g3.tib");

    SECTION("tib info numbers every generation: file, date, kind and size") {
        const RunResult shown = run(dagda_command() + " tib info --json " + sh_quote(newest));
        INFO(shown.err);
        REQUIRE(shown.exit_code == 0);
        const json generations = json::parse(shown.out)["generations"];
        REQUIRE(generations.size() == 3);
        for (unsigned n = 1; n <= 3; ++n) {
            const json& g = generations[n - 1];
            const std::string file = dir.file("g" + std::to_string(n) + ".tib");
            CHECK(g["number"] == n);
            CHECK(g["archive"] == file);
            CHECK(g["kind"] == (n == 1 ? "full" : "incremental"));
            CHECK(g["archive_bytes"] == fs::file_size(file));
            CHECK(g["created"].get<std::string>().size() == 20);  // 2026-11-27T18:50:00Z
        }
        const RunResult text = run(dagda_command() + " tib info " + sh_quote(newest));
        CHECK_THAT(text.out, Catch::Contains(": generation 3 (incremental"));
        CHECK_THAT(text.out, Catch::Contains("   1  g1.tib  "));
        CHECK_THAT(text.out, Catch::Contains("   3  g3.tib  "));
        CHECK_THAT(text.out, Catch::Contains("  full  "));
        CHECK(json::parse(run(dagda_command() + " tib info --json " + sh_quote(newest + "@2")).out)["generations"].size() == 2);
    }
    SECTION("ls, extract and restore read the generation named, by @N or --generation N") {
        for (unsigned n = 1; n <= 3; ++n) {
            const std::string number = std::to_string(n);
            const RunResult listed = run(dagda_command() + " tib ls " + sh_quote(newest) + " / --json --generation " + number);
            INFO("generation " << n << ": " << listed.err);
            REQUIRE(listed.exit_code == 0);
            bool found = false;
            for (const auto& e : json::parse(listed.out))
                if (e["name"] == "report.bin") found = e["size_bytes"] == fs::file_size(contents[n - 1]);
            CHECK(found);
            const std::string out = dir.file("extracted-" + number);
            const RunResult extracted = run(dagda_command() + " tib extract " + sh_quote(newest + "@" + number + ":0") + " /report.bin " + sh_quote(out));
            INFO(extracted.err);
            REQUIRE(extracted.exit_code == 0);
            CHECK(file_digest(out) == file_digest(contents[n - 1]));
            // The same bytes as a restore of that generation's own file.
            const std::string by_number = dir.file("by-number-" + number + ".raw");
            const std::string by_file = dir.file("by-file-" + number + ".raw");
            const RunResult restored = tib("restore " + sh_quote(newest + "@" + number) + " " + sh_quote(by_number));
            INFO(restored.err);
            REQUIRE(restored.exit_code == 0);
            CHECK_THAT(restored.out, Catch::Contains("holds generation " + json::parse(run(dagda_command() + " tib info --json " +
                                                                          sh_quote(dir.file("g" + number + ".tib"))).out)["generation"]["id"].get<std::string>()));
            REQUIRE(tib("restore " + sh_quote(dir.file("g" + number + ".tib")) + " " + sh_quote(by_file)).exit_code == 0);
            CHECK(file_digest(by_number) == file_digest(by_file));
        }
        const RunResult option = tib("restore " + sh_quote(newest) + " " + sh_quote(dir.file("r.raw")) + " --generation 1");
        REQUIRE(option.exit_code == 0);
        CHECK(file_digest(dir.file("r.raw")) == file_digest(dir.file("by-file-1.raw")));
    }
    SECTION("a generation outside the chain, or named twice, is a usage error") {
        const RunResult beyond = run(dagda_command() + " tib ls " + sh_quote(newest + "@4"));
        CHECK(beyond.exit_code == 2);
        CHECK_THAT(beyond.err, Catch::Contains("the generation must be 1 to 3"));
        const RunResult twice = run(dagda_command() + " tib ls " + sh_quote(newest + "@1") + " --generation 2");
        CHECK(twice.exit_code == 2);
        CHECK_THAT(twice.err, Catch::Contains("name the generation once"));
    }
    SECTION("tib info names a missing base instead of failing") {
        REQUIRE(run("mv " + sh_quote(dir.file("g1.tib")) + " " + sh_quote(dir.file("moved.tib"))).exit_code == 0);
        const RunResult shown = run(dagda_command() + " tib info --json " + sh_quote(newest));
        INFO(shown.err);
        REQUIRE(shown.exit_code == 0);
        const json info = json::parse(shown.out);
        CHECK_THAT(info["chain_broken"].get<std::string>(), Catch::Contains("its base g1.tib is not in " + dir.path().string()));
        REQUIRE(info["generations"].size() == 2);
        CHECK(info["generations"][0]["archive"] == dir.file("g2.tib"));
        CHECK(info["generations"][0]["number"].is_null());
        const RunResult text = run(dagda_command() + " tib info " + sh_quote(newest));
        CHECK(text.exit_code == 0);
        CHECK_THAT(text.out, Catch::Contains("missing: " + dir.file("g2.tib") + " is incremental; its base g1.tib is not in"));
        CHECK_THAT(text.out, Catch::Contains("   ?  g2.tib  "));
    }
}
