// machine.reboot and machine.poweroff: the last step of a recovery on the live image.

#include "core/Error.hpp"
#include "core/Subprocess.hpp"
#include "steps/StepArgs.hpp"
#include "steps/Steps.hpp"

#include <fstream>

namespace dagda::steps {

namespace {

/// This boot's id, as `file` holds it (Linux: /proc/sys/kernel/random/boot_id): a reboot is known
/// to have happened when it changed.
std::string boot_id(const std::string& file) {
    std::ifstream in(file);
    std::string id;
    std::getline(in, id);
    return id;
}

void add_power_step(jobs::StepRegistry& registry, const std::string& name, const std::string& verb,
                    const std::vector<std::string>& command, const std::string& boot_id_file) {
    registry.add({name, verb + " the machine when the recovery is done", jobs::Resume::checkpoint,
                  [](const nlohmann::json& json) { return StepArgs(json, std::vector<jobs::ArgumentSpec>{}).problems(); },
                  [verb, &command](const nlohmann::json&) {
                      std::string line;
                      for (const std::string& word : command) line += (line.empty() ? "" : " ") + word;
                      return std::vector<std::string>{verb + " the machine (" + line + ")"};
                  },
                  [verb, &command, &boot_id_file](const nlohmann::json&, jobs::StepContext& context) {
                      // Recorded first, with this boot's id: after the reboot the job resumes,
                      // sees another boot, and finishes instead of rebooting again. In the same
                      // boot the request did not take effect, so it is made again.
                      const nlohmann::json& saved = context.saved_state();
                      const std::string now = boot_id(boot_id_file);
                      if (saved.is_object() && saved.value("requested", false) && saved.value("boot_id", std::string()) != now) return;
                      context.save_state({{"requested", true}, {"boot_id", now}});
                      const ProgramResult result = run_program(command);
                      if (result.exit_code != 0) {
                          context.save_state({{"requested", false}});
                          throw Error(ErrorKind::failed, verb + " failed (" + command.front() + " exited with " +
                                                             std::to_string(result.exit_code) + "): " + result.err);
                      }
                      context.say(verb + " requested");
                  },
                  [](const nlohmann::json&) { return std::string("machine"); }, std::vector<jobs::ArgumentSpec>{}});
}

}  // namespace

void add_machine_steps(jobs::StepRegistry& registry, StepEnvironment& env) {
    add_power_step(registry, "machine.reboot", "Reboot", env.reboot_command, env.boot_id_file);
    add_power_step(registry, "machine.poweroff", "Power off", env.poweroff_command, env.boot_id_file);
}

}  // namespace dagda::steps
