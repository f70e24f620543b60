// dagda tib info and tib verify: what an archive holds, and whether every byte of it is sound.

#include "app/Commands.hpp"
#include "app/Progress.hpp"
#include "core/Units.hpp"
#include "image/ArchiveChain.hpp"

#include <iostream>

namespace dagda::app {

namespace po = boost::program_options;
using nlohmann::json;

namespace {

/// The header's version and required features by their names in tib-format.md §3-4.
json format_of(const image::format::FileHeader& header) {
    json features = json::array();
    if (header.required_features & image::format::feature_zstd) features.push_back("zstd");
    if (header.required_features & image::format::feature_incremental) features.push_back("incremental");
    if (header.required_features & image::format::feature_shared_digest) features.push_back("shared_digest");
    return {{"version", std::to_string(image::format::major_version) + "." + std::to_string(header.minor)}, {"features", features}};
}

json describe_archive(const image::TibArchive& archive) {
    json volumes = json::array();
    for (const auto& v : archive.volumes())
        volumes.push_back({{"number", v.number}, {"filesystem", v.filesystem}, {"size_bytes", v.volume_size},
                           {"block_size", v.block_size}, {"used_blocks", v.used_blocks},
                           {"used_bytes", v.used_blocks * v.block_size}, {"first_sector", v.first_sector}});
    return {{"archive", archive.name()}, {"format", format_of(archive.header())}, {"generation", archive.generation()},
            {"archive_bytes", archive.trailer().file_size},
            {"generation_digest", image::format::to_hex(archive.trailer().generation_digest)}, {"volumes", volumes}};
}

json describe_chain(const image::ArchiveChain& chain) {
    json out = describe_archive(*chain.chain().front());
    out["chain"] = json::array();
    for (const image::TibArchive* archive : chain.chain()) out["chain"].push_back({{"archive", archive->name()}, {"generation", archive->id()}});
    return out;
}

void print_text(const json& info) {
    const json& g = info["generation"];
    std::cout << info["archive"].get<std::string>() << ": " << g["kind"].get<std::string>() << " generation "
              << g["id"].get<std::string>() << " of " << g["host"].get<std::string>() << ", " << g["created"].get<std::string>()
              << ", " << human_bytes(info["archive_bytes"].get<std::uint64_t>()) << "\n";
    for (const auto& v : info["volumes"])
        std::cout << "  volume " << v["number"].get<unsigned>() << ": " << v["filesystem"].get<std::string>() << ", "
                  << human_bytes(v["size_bytes"].get<std::uint64_t>()) << ", " << human_bytes(v["used_bytes"].get<std::uint64_t>())
                  << " used in blocks of " << v["block_size"].get<unsigned>() << "\n";
    std::cout << "  chain:";
    for (const auto& link : info["chain"]) std::cout << " " << link["generation"].get<std::string>();
    std::cout << "\n";
}

}  // namespace

int run_tib_info(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("archive", po::value<std::string>()->required(), "the TIB archive")("json", "print JSON");
    po::positional_options_description positional;
    positional.add("archive", 1);
    const auto vm = parse_args(args, {"tib", "info"}, options, positional);
    if (!vm) return 0;
    const image::ArchiveChain chain((*vm)["archive"].as<std::string>());
    const json info = describe_chain(chain);
    if (vm->count("json")) std::cout << info.dump(2) << "\n";
    else print_text(info);
    return 0;
}

int run_tib_verify(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("archive", po::value<std::string>()->required(), "the TIB archive")(
        "progress", po::value<std::string>()->default_value("text"), "progress on stderr: text, json or none")("json", "print JSON");
    po::positional_options_description positional;
    positional.add("archive", 1);
    const auto vm = parse_args(args, {"tib", "verify"}, options, positional);
    if (!vm) return 0;
    const image::ArchiveChain chain((*vm)["archive"].as<std::string>());
    const ProgressMode mode = parse_progress_mode((*vm)["progress"].as<std::string>());
    std::uint64_t chunks = 0;
    for (const auto& volume : chain.chain().front()->volumes()) {
        ProgressPrinter printer(mode, "verify volume " + std::to_string(volume.number));
        chunks += image::verify_volume(chain.chain(), volume.number,
                                       [&](std::uint64_t done, std::uint64_t total) { printer.update(done, total); });
        printer.finish();
    }
    const json result{{"archive", (*vm)["archive"].as<std::string>()}, {"chunks_checked", chunks}, {"result", "ok"}};
    if (vm->count("json")) std::cout << result.dump(2) << "\n";
    else std::cout << result["archive"].get<std::string>() << ": OK, " << chunks << " chunks checked, chain of "
                   << chain.chain().size() << " generation(s) sound\n";
    return 0;
}

}  // namespace dagda::app
