#pragma once
/// A replication adapter (docs/replication.md) as a test writes one: a shell script for an
/// "array" with one session, arr-1, of srv01. It logs each verb to verbs.log beside it, runs
/// fail-VERB (a shell snippet: sleep, exit, garbage) when that file exists, and answers from the
/// files `state` and `volume` beside it; freeze and resume change `state` as an engine would.

#include "common/Run.hpp"
#include "common/TempDir.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace dagda::testing {

/// Writes the adapter into DIR/adapter for a session on the hypervisor `site` whose one volume
/// is `volume` (a name in the pool) of `bytes`; returns the script's path.
inline std::string write_array_adapter(const TempDir& dir, const std::string& site, const std::string& volume, std::uint64_t bytes) {
    const std::string folder = dir.file("adapter");
    std::filesystem::create_directories(folder);
    const std::string script = folder + "/array-adapter";
    std::ofstream(script) << "#!/bin/sh\n"
                             "cd " << sh_quote(folder) << "\n"
                             "verb=$(cat | grep -o '\"verb\":\"[a-z]*\"' | cut -d'\"' -f4)\n"
                             "echo \"$verb\" >> verbs.log\n"
                             "if [ -e fail-$verb ]; then . ./fail-$verb; fi\n"
                             "head='{\"contract\":\"dagda-replication/1\",\"ok\":true'\n"
                             "case $verb in\n"
                             "discover) echo \"$head,\\\"sessions\\\":[{\\\"id\\\":\\\"arr-1\\\",\\\"server\\\":\\\"srv01\\\",\\\"hypervisor\\\":\\\""
                          << site << "\\\",\\\"state\\\":\\\"$(cat state)\\\",\\\"volumes\\\":[{\\\"disk\\\":1,\\\"volume\\\":\\\"$(cat volume)\\\",\\\"bytes\\\":"
                          << bytes << "}]}]}\" ;;\n"
                             "freeze) echo frozen > state; echo \"$head,\\\"session\\\":\\\"arr-1\\\",\\\"state\\\":\\\"frozen\\\"}\" ;;\n"
                             "resume) echo replicating > state; echo \"$head,\\\"session\\\":\\\"arr-1\\\",\\\"state\\\":\\\"replicating\\\"}\" ;;\n"
                             "remove) echo \"$head,\\\"session\\\":\\\"arr-1\\\",\\\"state\\\":\\\"removed\\\"}\" ;;\n"
                             "esac\n";
    std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    std::ofstream(folder + "/volume") << volume;
    std::ofstream(folder + "/state") << "replicating";
    return script;
}

}  // namespace dagda::testing
