#include "image/ArchiveChain.hpp"

#include "core/Error.hpp"
#include "core/Url.hpp"
#include "image/source/HttpsTrust.hpp"

#include <filesystem>

namespace dagda::image {

namespace {

constexpr std::size_t max_chain_length = 1000;  // a loop of bases must end somewhere


// Where a base named `name` lives: beside the archive that names it (by a pre-signed URL of its
// own where the job was given one).
std::string sibling(const std::string& location, const std::string& name, const HttpsTrust& trust) {
    if (is_url(location)) {
        const std::string address = location.substr(0, location.find('?'));
        return trust.signed_url(address.substr(0, address.rfind('/') + 1) + url_path_escaped(name));
    }
    const std::filesystem::path beside = std::filesystem::path(location).parent_path() / name;
    std::error_code none;
    if (!std::filesystem::exists(beside, none))
        if (std::string url = trust.signed_url_ending(url_path_escaped(name)); !url.empty()) return url;
    return beside.string();
}

}  // namespace

ChainWalk walk_chain(const std::string& location) { return walk_chain(location, HttpsTrust{}); }

ChainWalk walk_chain(const std::string& location, const HttpsTrust& trust) {
    ChainWalk walk;
    walk.archives.push_back(std::make_unique<TibArchive>(open_source(location, trust)));
    std::string current = location;
    while (walk.archives.back()->is_incremental()) {
        const TibArchive& child = *walk.archives.back();
        if (walk.archives.size() >= max_chain_length) {
            walk.broken = child.name() + ": the chain of bases is longer than " + std::to_string(max_chain_length);
            break;
        }
        const auto& base = child.generation()["base"];
        // Only the file name counts: an archive must not make the reader open arbitrary paths.
        const std::string name = std::filesystem::path(base["name"].get<std::string>()).filename().string();
        if (name.empty() || name == "." || name == "..") {
            walk.broken = child.name() + ": its base has no usable file name";
            break;
        }
        const std::string base_location = sibling(current, name, trust);
        if (!is_url(base_location) && !std::filesystem::exists(base_location)) {
            const std::filesystem::path folder = std::filesystem::path(base_location).parent_path();
            walk.broken = child.name() + " is incremental; its base " + name + " is not in " +
                          (folder.empty() ? std::string(".") : folder.string());
            break;
        }
        auto parent = std::make_unique<TibArchive>(open_source(base_location, trust));
        if (parent->id() != base["id"].get<std::string>() ||
            format::to_hex(parent->trailer().generation_digest) != base["digest"].get<std::string>()) {
            walk.broken = child.name() + " is based on generation " + base["id"].get<std::string>() + ", but " + base_location.substr(0, base_location.find('?')) +  // never a signature
                          " is generation " + parent->id() + " or differs from it (digest mismatch)";
            break;
        }
        walk.archives.push_back(std::move(parent));
        current = base_location;
    }
    return walk;
}

ArchiveChain::ArchiveChain(const std::string& location) : ArchiveChain(location, HttpsTrust{}) {}

ArchiveChain::ArchiveChain(const std::string& location, const HttpsTrust& trust) {
    ChainWalk walk = walk_chain(location, trust);
    if (!walk.broken.empty()) throw Error(ErrorKind::failed, walk.broken);
    archives_ = std::move(walk.archives);
    for (const auto& archive : archives_) pointers_.push_back(archive.get());
}

}  // namespace dagda::image
