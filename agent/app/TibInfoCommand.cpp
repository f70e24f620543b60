// dagda tib info and tib verify: what an archive holds, and whether every byte of it is sound.

#include "app/ArchiveArgument.hpp"
#include "app/Commands.hpp"
#include "app/Progress.hpp"
#include "core/Units.hpp"
#include "image/ArchiveChain.hpp"

#include <filesystem>
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

// Every generation the walk opened, oldest first, numbered 1 = the full backup when the chain is
// whole (a broken chain's numbers are unknown: null); "chain" keeps the older newest-first list.
json describe_chain(const image::ChainWalk& walk) {
    json out = describe_archive(*walk.archives.front());
    out["chain"] = json::array();
    for (const auto& archive : walk.archives) out["chain"].push_back({{"archive", archive->name()}, {"generation", archive->id()}});
    out["generations"] = json::array();
    const bool whole = walk.broken.empty();
    for (std::size_t i = walk.archives.size(); i-- > 0;) {
        const image::TibArchive& archive = *walk.archives[i];
        out["generations"].push_back({{"number", whole ? json(walk.archives.size() - i) : json(nullptr)},
                                      {"archive", archive.name()},
                                      {"id", archive.id()},
                                      {"created", archive.generation().value("created", std::string())},
                                      {"kind", archive.is_incremental() ? "incremental" : "full"},
                                      {"archive_bytes", archive.trailer().file_size}});
    }
    if (!whole) out["chain_broken"] = walk.broken;
    return out;
}

void print_text(const json& info) {
    const json& g = info["generation"];
    const json& generations = info["generations"];
    const json& newest = generations.back();
    std::cout << info["archive"].get<std::string>() << ": generation "
              << (newest["number"].is_null() ? std::string("?") : std::to_string(newest["number"].get<std::size_t>())) << " ("
              << newest["kind"].get<std::string>() << ", a " << g["kind"].get<std::string>() << " of " << g["host"].get<std::string>()
              << "), " << g["created"].get<std::string>() << ", " << human_bytes(info["archive_bytes"].get<std::uint64_t>())
              << ", id " << g["id"].get<std::string>() << "\n";
    for (const auto& v : info["volumes"])
        std::cout << "  volume " << v["number"].get<unsigned>() << ": "
                  << (v["filesystem"].get<std::string>().empty() ? std::string("raw") : v["filesystem"].get<std::string>()) << ", "
                  << human_bytes(v["size_bytes"].get<std::uint64_t>()) << ", " << human_bytes(v["used_bytes"].get<std::uint64_t>())
                  << " used in blocks of " << v["block_size"].get<unsigned>() << "\n";
    std::cout << (info.contains("chain_broken") ? "  generations (numbers unknown: the chain is broken):\n"
                                                : "  generations (choose one with ARCHIVE.tib@N or --generation N):\n");
    for (const auto& gen : generations) {
        const std::string number = gen["number"].is_null() ? "?" : std::to_string(gen["number"].get<std::size_t>());
        const std::string file = std::filesystem::path(gen["archive"].get<std::string>()).filename().string();
        std::cout << "  " << std::string(number.size() < 4 ? 4 - number.size() : 0, ' ') << number << "  " << file << "  "
                  << gen["created"].get<std::string>() << "  " << gen["kind"].get<std::string>()
                  << (gen["kind"] == "full" ? "         " : "  ") << human_bytes(gen["archive_bytes"].get<std::uint64_t>()) << "\n";
    }
    if (info.contains("chain_broken")) std::cout << "  missing: " << info["chain_broken"].get<std::string>() << "\n";
}

}  // namespace

int run_tib_info(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("archive", po::value<std::string>()->required(), "the TIB archive (ARCHIVE.tib[@GENERATION])")(
        "json", "print JSON");
    add_generation_option(options);
    add_archive_urls_option(options);
    po::positional_options_description positional;
    positional.add("archive", 1);
    const auto vm = parse_args(args, {"tib", "info"}, options, positional);
    if (!vm) return 0;
    const ArchiveArgument archive = parse_archive_argument((*vm)["archive"].as<std::string>(), false);
    // A broken chain is shown, not refused: the point is to see which base is missing.
    const json info = describe_chain(image::walk_chain(generation_file(archive, *vm), archive_urls_trust(archive_urls(*vm))));
    if (vm->count("json")) std::cout << info.dump(2) << "\n";
    else print_text(info);
    return 0;
}

int run_tib_verify(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("archive", po::value<std::string>()->required(), "the TIB archive (ARCHIVE.tib[@GENERATION])")(
        "progress", po::value<std::string>()->default_value("text"), "progress on stderr: text, json or none")("json", "print JSON");
    add_generation_option(options);
    add_archive_urls_option(options);
    po::positional_options_description positional;
    positional.add("archive", 1);
    const auto vm = parse_args(args, {"tib", "verify"}, options, positional);
    if (!vm) return 0;
    const image::ArchiveChain chain(generation_file(parse_archive_argument((*vm)["archive"].as<std::string>(), false), *vm), archive_urls_trust(archive_urls(*vm)));
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
