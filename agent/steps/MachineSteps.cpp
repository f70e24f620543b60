// machine.reboot and machine.poweroff: the last step of a recovery on the live image.

#include "core/Error.hpp"
#include "core/Subprocess.hpp"
#include "steps/StepArgs.hpp"
#include "steps/Steps.hpp"

namespace dagda::steps {

namespace {

void add_power_step(jobs::StepRegistry& registry, const std::string& name, const std::string& verb,
                    const std::vector<std::string>& command) {
    registry.add({name, verb + " the machine when the recovery is done", jobs::Resume::checkpoint,
                  [](const nlohmann::json& json) { return StepArgs(json, {}).problems(); },
                  [verb, &command](const nlohmann::json&) {
                      std::string line;
                      for (const std::string& word : command) line += (line.empty() ? "" : " ") + word;
                      return std::vector<std::string>{verb + " the machine (" + line + ")"};
                  },
                  [verb, &command](const nlohmann::json&, jobs::StepContext& context) {
                      // Recorded first: after the reboot the job resumes, finds this step asked
                      // for, and finishes instead of rebooting again.
                      const nlohmann::json& saved = context.saved_state();
                      if (saved.is_object() && saved.value("requested", false)) return;
                      context.save_state({{"requested", true}});
                      const ProgramResult result = run_program(command);
                      if (result.exit_code != 0)
                          throw Error(ErrorKind::failed, verb + " failed (" + command.front() + " exited with " +
                                                             std::to_string(result.exit_code) + "): " + result.err);
                      context.say(verb + " requested");
                  },
                  [](const nlohmann::json&) { return std::string("machine"); }});
}

}  // namespace

void add_machine_steps(jobs::StepRegistry& registry, StepEnvironment& env) {
    add_power_step(registry, "machine.reboot", "Reboot", env.reboot_command);
    add_power_step(registry, "machine.poweroff", "Power off", env.poweroff_command);
}

}  // namespace dagda::steps
