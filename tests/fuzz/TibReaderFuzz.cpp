// libFuzzer target: any bytes given to the TIB reader end in a clean dagda::Error or a verified
// read, never a crash, a hang or an allocation beyond the format's limits.

#include "core/Error.hpp"
#include "image/TibArchive.hpp"
#include "image/restore/VolumeRestore.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        dagda::image::TibArchive archive(dagda::image::open_memory_source(data, size, "fuzz.tib"));
        if (archive.is_incremental()) return 0;  // a chain needs its base; the archive alone was checked
        const dagda::image::Chain chain{&archive};
        for (const auto& volume : archive.volumes()) dagda::image::verify_volume(chain, volume.number, nullptr);
    } catch (const dagda::Error&) {
        // The expected outcome for damaged input.
    }
    return 0;
}
