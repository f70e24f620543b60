#pragma once
/// What every recovery-to-a-VM test starts from (VmRecoveryTests, HelperRecoveryTests): a
/// transient pool, srv01's Windows disk captured into the archive folder, a controller serving
/// it, and the pool added as a hypervisor; and the independent readings of a recovered disk.

#include "common/NtfsEdit.hpp"
#include "common/RgwSandbox.hpp"
#include "common/Run.hpp"
#include "common/WindowsVolume.hpp"
#include "integration/controller/ControllerFixture.hpp"
#include "integration/hypervisor/LibvirtFixture.hpp"
#include "objectstore/S3Client.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace dagda::testing {

struct RecoveryBench {
    TempDir dir;
    TestPool pool{dir};
    std::string archives = dir.file("archives"), archive = archives + "/srv01/disk1.tib", state = dir.file("controller"), source;
    std::unique_ptr<ControllerProcess> controller;
    std::string vm = pool.name_prefix() + "srv01";

    RecoveryBench() {
        if (!windows_tools_present(dir) || !controller_tools_present()) FAIL("missing: the Windows test tools, curl or sfdisk (scripts/setup)");
        std::filesystem::create_directories(archives + "/srv01");
        source = make_windows_disk(dir, "source.img");
        REQUIRE(run(dagda_command() + " tib capture --disk " + sh_quote(source) + " " + sh_quote(archive) + " --progress none").exit_code == 0);
    }
    /// A bucket-settings file: the controller's archive store is that bucket, not the folder.
    std::string store_settings;
    /// The controller, and the pool added as the hypervisor `hypervisor`.
    void start_controller(std::vector<std::string> extra = {}, const std::string& hypervisor = "local") {
        if (!store_settings.empty()) extra.insert(extra.end(), {"--archive-store", store_settings});
        controller = std::make_unique<ControllerProcess>(dir, state, 0, store_settings.empty() ? archives : "", extra);
        REQUIRE(ctl("hypervisor add " + hypervisor + " --uri qemu:///system --pool " + pool.name()).exit_code == 0);
    }
    /// The archive folder's files put into a bucket of `store` (its agents reach it at
    /// `agent_endpoint`), and the folder moved aside to `archives`-local, so the controller
    /// started next reads the bucket only.
    void move_to_bucket(const RgwSandbox& store, const std::string& agent_endpoint) {
        const std::string settings = store.settings_file(dir, "dagda-site", "archives/");
        nlohmann::json with_agents = nlohmann::json::parse(file_bytes(settings));
        with_agents["agent_endpoint"] = agent_endpoint;
        std::ofstream(settings) << with_agents.dump(2);
        objectstore::S3Client client(objectstore::read_bucket_settings(settings));
        client.create_bucket();
        for (const auto& file : std::filesystem::directory_iterator(archives + "/srv01")) {
            const std::string bytes = file_bytes(file.path().string());
            client.put("srv01/" + file.path().filename().string(), bytes.data(), bytes.size());
        }
        std::filesystem::rename(archives, archives + "-local");
        archives += "-local";
        archive = archives + "/srv01/disk1.tib";
        store_settings = settings;
    }
    RunResult ctl(const std::string& args) const { return controller->ctl(args); }
    /// Damages the archive in the middle, where its chunks are: it still opens and plans, and its restore fails.
    void damage_archive() const {
        REQUIRE(run("printf 'damaged%.0s' $(seq 64) | dd of=" + sh_quote(archive) + " bs=1 seek=$(( $(stat -c %s " + sh_quote(archive) +
                    ") / 2 )) conv=notrunc status=none").exit_code == 0);
    }
};

/// sfdisk's dump of a disk without its device names: the layout alone.
inline std::string layout_of(const std::string& disk) {
    return run("sfdisk --dump " + sh_quote(disk) + " | grep -v '^device:' | sed 's|^[^ ]*\\([0-9]\\) :|\\1 :|'").out;
}

/// Partition `number` of a disk image copied out to `name` in `dir`; its path.
inline std::string partition_copy(const TempDir& dir, const std::string& disk, int number, const std::string& name) {
    const auto [start, sectors] = partition_extent(disk, number);
    const std::string copy = dir.file(name);
    REQUIRE(run("dd if=" + sh_quote(disk) + " of=" + sh_quote(copy) + " bs=512 skip=" + std::to_string(start) + " count=" + std::to_string(sectors) +
                " status=none").exit_code == 0);
    return copy;
}

/// The Windows partition of a disk image (the second), copied out for ntfs-3g's tools.
inline std::string windows_partition(const TempDir& dir, const std::string& disk) { return partition_copy(dir, disk, 2, "windows.raw"); }

inline std::string hive_value(const TempDir& dir, const std::string& windows, const std::string& key, const std::string& value) {
    REQUIRE(run("ntfscat " + sh_quote(windows) + " /Windows/System32/config/SYSTEM > " + sh_quote(dir.file("SYSTEM"))).exit_code == 0);
    return run("hivexget " + sh_quote(dir.file("SYSTEM")) + " " + sh_quote(key) + " " + sh_quote(value)).out;
}

#define NEEDS_LIBVIRT(daemons)                                                                                \
    if (!(daemons)) {                                                                                          \
        WARN("skipped: libvirtd cannot be started here (needs root, scripts/setup's libvirt packages)"); \
        return;                                                                                                \
    }

}  // namespace dagda::testing
