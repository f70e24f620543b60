#include "common/RgwSandbox.hpp"

#include "common/Run.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>
#include <sys/stat.h>

namespace dagda::testing {

namespace {

std::string first_line(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

}  // namespace

RgwSandbox::RgwSandbox(const std::string& store) : folder_(dir_.file("rgw")) {
    const std::string script = std::string(DAGDA_SOURCE_DIR) + "/tests/common/rgw-sandbox";
    const RunResult started = run(sh_quote(script) + " start " + sh_quote(folder_) + " " + sh_quote(store));
    if (started.exit_code != 0) throw std::runtime_error("the S3 store (Ceph RGW) did not start: " + started.err);
    endpoint_ = first_line(folder_ + "/endpoint");
    access_key_ = first_line(folder_ + "/access_key");
    secret_key_ = first_line(folder_ + "/secret_key");
}

RgwSandbox::~RgwSandbox() { run(sh_quote(std::string(DAGDA_SOURCE_DIR) + "/tests/common/rgw-sandbox") + " stop " + sh_quote(folder_)); }

std::string RgwSandbox::settings_file(const TempDir& dir, const std::string& bucket, const std::string& prefix) const {
    const std::string keys = dir.file(bucket + "-keys.json");
    {
        std::ofstream out(keys);
        out << nlohmann::json{{"access_key", access_key_}, {"secret_key", secret_key_}}.dump();
    }
    ::chmod(keys.c_str(), 0600);
    const std::string settings = dir.file(bucket + "-store.json");
    std::ofstream out(settings);
    out << nlohmann::json{{"endpoint", endpoint_}, {"bucket", bucket}, {"prefix", prefix}, {"credentials", keys}}.dump(2);
    return settings;
}

}  // namespace dagda::testing
