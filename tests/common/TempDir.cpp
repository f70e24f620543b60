#include "common/TempDir.hpp"

#include "common/Run.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <unistd.h>

namespace dagda::testing {

namespace fs = std::filesystem;

TempDir::TempDir() {
    std::string pattern = (fs::temp_directory_path() / "dagda-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

void write_file(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string make_image(const TempDir& dir, const std::string& name, std::uint64_t bytes) {
    const std::string path = dir.file(name);
    { std::ofstream create(path, std::ios::binary); }
    fs::resize_file(path, bytes);
    return path;
}

std::string random_bytes(std::size_t size, unsigned seed) {
    std::mt19937 generator(seed);
    std::string out(size, '\0');
    for (char& c : out) c = static_cast<char>(generator());
    return out;
}

std::string file_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string file_digest(const std::string& path) {
    const RunResult result = run("sha256sum " + sh_quote(path));
    if (result.exit_code != 0) throw std::runtime_error("cannot hash " + path + ": " + result.err);
    return result.out.substr(0, 64);
}

std::string file_range(const std::string& path, std::uint64_t offset, std::size_t length) {
    std::ifstream in(path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(offset));
    std::string bytes(length, '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(length));
    if (!in) throw std::runtime_error("cannot read " + path);
    return bytes;
}

namespace {

/// $DAGDA_SHARED_DIR when set, else ../shared beside the repository: nothing of one machine.
fs::path shared_folder() {
    if (const char* env = std::getenv("DAGDA_SHARED_DIR"); env && *env) return env;
    return (fs::path(DAGDA_SOURCE_DIR) / ".." / "shared").lexically_normal();
}

}  // namespace

std::string shared_fixture(const TempDir& dir, const std::string& relative) {
    const fs::path source = shared_folder() / "fixtures" / relative;
    // A missing fixture fails the test that needs it: a test that skips itself proves nothing.
    if (!fs::exists(source))
        throw std::runtime_error("the shared fixture " + source.string() +
                                 " is missing: set DAGDA_SHARED_DIR to the shared folder (else ../shared beside the repository is used)");
    if (source.extension() != ".xz") return source.string();
    const std::string out = dir.file(source.stem().string());
    const RunResult result = run("xz -dc " + sh_quote(source.string()) + " > " + sh_quote(out));
    if (result.exit_code != 0) throw std::runtime_error("cannot decompress " + source.string() + ": " + result.err);
    return out;
}

}  // namespace dagda::testing
