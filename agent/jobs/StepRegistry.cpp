#include "jobs/Step.hpp"

#include "core/Error.hpp"

namespace dagda::jobs {

void StepRegistry::add(StepSpec spec) {
    const auto dot = spec.name.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == spec.name.size())
        throw Error(ErrorKind::failed, "step name \"" + spec.name + "\" is not <module>.<verb>");
    if (!spec.validate || !spec.describe || !spec.run) throw Error(ErrorKind::failed, "step " + spec.name + " lacks a function");
    const std::string name = spec.name;
    if (!steps_.emplace(name, std::move(spec)).second) throw Error(ErrorKind::failed, "step " + name + " is registered twice");
}

const StepSpec* StepRegistry::find(const std::string& name) const {
    const auto it = steps_.find(name);
    return it == steps_.end() ? nullptr : &it->second;
}

std::vector<std::string> StepRegistry::names() const {
    std::vector<std::string> out;
    for (const auto& [name, spec] : steps_) out.push_back(name);
    return out;
}

}  // namespace dagda::jobs
