#include "common/WindowsVolume.hpp"

#include "common/Run.hpp"
#include "core/UniqueFd.hpp"
#include "windows/ntfs/NtfsEditor.hpp"
#include "windows/ntfs/NtfsVolume.hpp"

#include <fcntl.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace dagda::testing {

namespace {

std::vector<std::uint8_t> read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string file_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// hivexregedit adds a key only below an existing one, so every parent is listed.
const char* windows7_extra_system =
    "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control]\n\n"
    "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager]\n\n"
    "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager\\Environment]\n"
    "\"PROCESSOR_ARCHITECTURE\"=\"AMD64\"\n\n"
    "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\CriticalDeviceDatabase]\n\n"
    "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\CriticalDeviceDatabase\\pci#ven_1000&dev_0054]\n"
    "\"Service\"=\"LSI_SAS\"\n"
    "\"ClassGUID\"=\"{4D36E97B-E325-11CE-BFC1-08002BE10318}\"\n\n"
    "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\LSI_SAS]\n"
    "\"Type\"=dword:00000001\n\"Start\"=dword:00000000\n\"ErrorControl\"=dword:00000001\n"
    "\"Group\"=\"SCSI miniport\"\n\"ImagePath\"=hex(2):73,00,79,00,73,00,74,00,65,00,6d,00,33,00,32,00,5c,00,44,00,52,00,49,00,56,00,45,00,52,00,53,00,5c,00,6c,00,73,00,69,00,5f,00,73,00,61,00,73,00,2e,00,73,00,79,00,73,00,00,00\n\n"
    "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\msahci]\n"
    "\"Type\"=dword:00000001\n\"Start\"=dword:00000003\n\"ErrorControl\"=dword:00000003\n\"Group\"=\"SCSI miniport\"\n\n"
    "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002]\n\n"
    "[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\Services]\n\n";

const char* windows2012r2_software =
    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft]\n\n"
    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT]\n\n"
    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\n"
    "\"ProductName\"=\"Windows Server 2012 R2 Standard\"\n"
    "\"CurrentVersion\"=\"6.3\"\n"
    "\"CurrentBuildNumber\"=\"9600\"\n"
    "\"EditionID\"=\"ServerStandard\"\n"
    "\"InstallationType\"=\"Server\"\n\n";

}  // namespace

std::string make_hive(const TempDir& dir, const std::string& name, const std::string& base, const std::string& prefix,
                      const std::string& text) {
    if (!have_program("hivexregedit")) return {};
    const std::string source = base.empty() ? shared_fixture(dir, "hives/minimal-hive") : base;
    const std::string hive = dir.file(name);
    std::filesystem::copy_file(source, hive, std::filesystem::copy_options::overwrite_existing);
    const std::string reg = dir.file(name + ".reg");
    std::ofstream(reg) << "Windows Registry Editor Version 5.00\n\n" << text;
    const auto merged = run("hivexregedit --merge --prefix " + sh_quote(prefix) + " " + sh_quote(hive) + " " + sh_quote(reg));
    if (merged.exit_code != 0) throw std::runtime_error("hivexregedit --merge failed: " + merged.err);
    return hive;
}

std::string make_windows_volume(const TempDir& dir, const std::string& name, const WindowsVolumeSpec& spec) {
    if (!have_program("mkntfs")) return {};
    const std::string image = make_image(dir, name, spec.size);
    if (run("mkntfs -F -Q -L Windows " + sh_quote(image) + " >/dev/null 2>&1").exit_code != 0)
        throw std::runtime_error("mkntfs failed on " + image);
    const UniqueFd fd = UniqueFd::open(image, O_RDWR);
    windows::ntfs::NtfsVolume volume(fd.get(), 0, spec.size, name, windows::ntfs::Access::read_write);
    const std::string root = "/" + spec.system_root;
    windows::ntfs::ensure_folder(volume, root + "/System32/config");
    windows::ntfs::ensure_folder(volume, root + "/System32/drivers");
    windows::ntfs::ensure_folder(volume, root + "/INF");
    if (!spec.system_hive.empty()) windows::ntfs::write_file(volume, root + "/System32/config/SYSTEM", read_all(spec.system_hive));
    if (!spec.software_hive.empty())
        windows::ntfs::write_file(volume, root + "/System32/config/SOFTWARE", read_all(spec.software_hive));
    for (const auto& [path, content] : spec.files) {
        windows::ntfs::ensure_folder(volume, path.substr(0, path.rfind('/')));
        windows::ntfs::write_file(volume, path, {content.begin(), content.end()});
    }
    return image;
}

std::string windows7_system_hive(const TempDir& dir) {
    const std::string phony = shared_fixture(dir, "hives/phony-windows-system.reg");
    return make_hive(dir, "win7-SYSTEM", "", "HKEY_LOCAL_MACHINE\\SYSTEM", file_text(phony) + "\n" + windows7_extra_system);
}

std::string windows7_software_hive(const TempDir& dir) {
    const std::string phony = shared_fixture(dir, "hives/phony-windows-software.reg");
    return make_hive(dir, "win7-SOFTWARE", "", "HKEY_LOCAL_MACHINE\\SOFTWARE",
                     file_text(phony) + "\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\n"
                                        "\"CurrentBuildNumber\"=\"7601\"\n\n");
}

std::string windows81_system_hive(const TempDir& dir) { return shared_fixture(dir, "hives/win81-x64-SYSTEM.xz"); }

std::string windows2012r2_software_hive(const TempDir& dir) {
    return make_hive(dir, "w2012r2-SOFTWARE", "", "HKEY_LOCAL_MACHINE\\SOFTWARE", windows2012r2_software);
}

std::string make_windows_disk(const TempDir& dir, const std::string& name) {
    const std::string bcd = shared_fixture(dir, "bcd/ntloader-bcd");
    if (!have_program("sfdisk")) return {};
    WindowsVolumeSpec reserved;
    reserved.files = {{"/Boot/BCD", file_text(bcd)}};
    const std::string boot = make_windows_volume(dir, name + "-reserved.raw", reserved);
    const std::string mounted =
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\MountedDevices]\n"
        "\"\\\\DosDevices\\\\C:\"=hex(3):b1,9a,da,43,00,00,10,04,00,00,00,00\n"
        "\"\\\\DosDevices\\\\E:\"=hex(3):b1,9a,da,43,00,00,10,00,00,00,00,00\n\n";
    WindowsVolumeSpec windows;
    windows.size = 96ull << 20;
    windows.system_hive = make_hive(dir, name + "-SYSTEM", windows7_system_hive(dir), "HKEY_LOCAL_MACHINE\\SYSTEM", mounted);
    windows.software_hive = windows7_software_hive(dir);
    const std::string system = make_windows_volume(dir, name + "-windows.raw", windows);
    if (boot.empty() || system.empty()) return {};
    const std::string disk = make_image(dir, name, 200ull << 20);
    const auto table = run("printf 'label: dos\\nlabel-id: 0x43da9ab1\\nstart=2048, size=131072, type=7, bootable\\n"
                           "start=133120, size=196608, type=7\\n' | sfdisk -q " + sh_quote(disk));
    if (table.exit_code != 0) throw std::runtime_error("sfdisk failed: " + table.err);
    for (const auto& [volume, sector] : {std::pair<std::string, int>{boot, 2048}, {system, 133120}})
        if (run("dd if=" + sh_quote(volume) + " of=" + sh_quote(disk) + " bs=512 seek=" + std::to_string(sector) +
                " conv=notrunc,sparse status=none").exit_code != 0)
            throw std::runtime_error("dd failed");
    return disk;
}

std::string pe_driver(std::uint16_t machine) {
    std::string image(1024, '\0');
    image[0] = 'M';
    image[1] = 'Z';
    image[0x3C] = '\x80';
    image.replace(0x80, 4, std::string("PE\0\0", 4));
    image[0x84] = static_cast<char>(machine & 0xFF);
    image[0x85] = static_cast<char>(machine >> 8);
    return image;
}

std::string viostor_driver_folder(const TempDir& dir) {
    const std::filesystem::path folder = dir.path() / "drv";
    std::filesystem::create_directories(folder);
    std::filesystem::copy_file(shared_fixture(dir, "inf/viostor.inx"), folder / "viostor.inx",
                               std::filesystem::copy_options::overwrite_existing);
    std::ofstream(folder / "viostor.sys", std::ios::binary) << pe_driver(0x8664);
    return folder.string();
}

bool windows_tools_present(const TempDir& dir) {
    shared_fixture(dir, "hives/minimal-hive");  // throws: a missing fixture fails the test
    return have_program("hivexregedit") && have_program("mkntfs");
}

}  // namespace dagda::testing
