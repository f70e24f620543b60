#include "image/ArchiveChain.hpp"

#include "core/Error.hpp"

#include <filesystem>

namespace dagda::image {

namespace {

constexpr std::size_t max_chain_length = 1000;  // a loop of bases must end somewhere

}  // namespace

ArchiveChain::ArchiveChain(const std::string& path) {
    archives_.push_back(std::make_unique<TibArchive>(open_file_source(path)));
    std::filesystem::path folder = std::filesystem::path(path).parent_path();
    while (archives_.back()->is_incremental()) {
        const TibArchive& child = *archives_.back();
        if (archives_.size() >= max_chain_length)
            throw Error(ErrorKind::failed, child.name() + ": the chain of bases is longer than " + std::to_string(max_chain_length));
        const auto& base = child.generation()["base"];
        // Only the file name counts: an archive must not make the reader open arbitrary paths.
        const std::string name = std::filesystem::path(base["name"].get<std::string>()).filename().string();
        const std::string base_path = (folder / name).string();
        if (!std::filesystem::exists(base_path))
            throw Error(ErrorKind::failed, child.name() + " is incremental; its base " + name + " is not in " +
                                               (folder.empty() ? std::string(".") : folder.string()));
        auto parent = std::make_unique<TibArchive>(open_file_source(base_path));
        if (parent->id() != base["id"].get<std::string>() ||
            format::to_hex(parent->trailer().generation_digest) != base["digest"].get<std::string>())
            throw Error(ErrorKind::failed, child.name() + " is based on generation " + base["id"].get<std::string>() +
                                               ", but " + base_path + " is generation " + parent->id() +
                                               " or differs from it (digest mismatch)");
        archives_.push_back(std::move(parent));
    }
    for (const auto& archive : archives_) pointers_.push_back(archive.get());
}

}  // namespace dagda::image
