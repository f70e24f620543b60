#pragma once
/// A real S3 store for a test: tests/common/rgw-sandbox (Ceph's RADOS gateway over a one-node
/// cluster on 127.0.0.1) started in a temporary folder, stopped with the object. Its start
/// throws when Ceph is missing: the store tests never skip on the machine kind CI runs on.

#include "common/TempDir.hpp"

#include <string>

namespace dagda::testing {

class RgwSandbox {
public:
    /// `store`: "memstore" (objects in RAM, quick) or "bluestore" (a sparse file, for gigabytes).
    explicit RgwSandbox(const std::string& store = "memstore");
    RgwSandbox(const RgwSandbox&) = delete;
    RgwSandbox& operator=(const RgwSandbox&) = delete;
    ~RgwSandbox();

    const std::string& endpoint() const { return endpoint_; }  ///< "http://127.0.0.1:PORT"
    const std::string& access_key() const { return access_key_; }
    const std::string& secret_key() const { return secret_key_; }
    const std::string& folder() const { return folder_; }

    /// A bucket-settings file (docs/archive-store.md) for `bucket` and `prefix`, with its
    /// credentials file beside it (mode 600); returns the settings' path.
    std::string settings_file(const TempDir& dir, const std::string& bucket, const std::string& prefix = "") const;

private:
    TempDir dir_;
    std::string folder_, endpoint_, access_key_, secret_key_;
};

}  // namespace dagda::testing
