#include "common/Run.hpp"

#include <filesystem>

#include "common/TempDir.hpp"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

namespace dagda::testing {

std::string sh_quote(const std::string& word) {
    std::string out = "'";
    for (const char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

RunResult run(const std::string& command) {
    TempDir dir;
    const std::string err_path = dir.file("stderr");
    const std::string full = command + " 2>" + sh_quote(err_path);
    FILE* pipe = ::popen(full.c_str(), "r");
    RunResult result;
    if (!pipe) return result;
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, n);
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.err = file_bytes(err_path);
    return result;
}

std::string dagda_command() { return sh_quote(DAGDA_BINARY); }

std::string dagda_binary_path() { return DAGDA_BINARY; }

bool have_program(const std::string& name) {
    return run("command -v " + sh_quote(name) + " >/dev/null").exit_code == 0;
}

std::string libfaketime() {
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib", error)) {
        const std::filesystem::path candidate = entry.path() / "faketime/libfaketimeMT.so.1";
        if (std::filesystem::exists(candidate)) return candidate.string();
    }
    return {};
}

}  // namespace dagda::testing
