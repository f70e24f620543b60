// libFuzzer target for the INF reader (agent/windows/inf): a driver's INF comes from whatever
// driver folder an operator points at, so any bytes must either yield a driver package for a
// Windows target or be refused with a dagda::Error naming the file. Nothing else may come out:
// no crash, no other exception, no sanitizer report, no hang, and memory within the reader's
// documented bounds (run-fuzz caps it).

#include "core/Error.hpp"
#include "windows/inf/DriverPackage.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace dagda::windows::inf;
    const std::vector<std::uint8_t> bytes(data, data + size);
    // Two targets with different decorations and platform variants: Windows 11 on amd64 (a
    // decorated NTamd64.10.0... Models section) and Windows 7 on x86 (NTx86 or undecorated).
    static const TargetWindows targets[] = {{10, 0, 22631, "amd64", false}, {6, 1, 7601, "x86", false}};
    try {
        const InfFile inf = parse_inf(bytes, "fuzz.inf");
        for (const TargetWindows& target : targets) {
            try {
                const DriverPackage package = driver_package(inf, target);
                (void)package.hardware_ids();
                (void)package.files();
                (void)package.function_service();
            } catch (const dagda::Error&) {
                // refused for this target: the message names the file and line
            }
        }
    } catch (const dagda::Error&) {
        // refused: not an INF this reader accepts
    }
    return 0;
}
