// dagda disk show: the layout of a disk or image, in sfdisk's JSON dump format.

#include "app/Commands.hpp"
#include "core/Error.hpp"
#include "core/Units.hpp"
#include "disk/LayoutReader.hpp"
#include "disk/PartitionTypes.hpp"
#include "disk/SfdiskJson.hpp"

#include <iostream>

namespace dagda::app {

namespace po = boost::program_options;

namespace {

void print_text(const disk::Layout& layout) {
    std::cout << "Disk " << layout.device << ": " << to_string(layout.label) << " table, id " << layout.id << ", "
              << layout.sector_size << "-byte sectors";
    if (layout.first_lba && layout.last_lba) std::cout << ", usable sectors " << *layout.first_lba << "-" << *layout.last_lba;
    std::cout << "\n";
    for (const auto& part : layout.partitions) {
        std::cout << "  " << disk::partition_node(layout.device, part.number) << "  start " << part.start << "  size "
                  << part.size << " (" << human_bytes(part.size * layout.sector_size) << ")  "
                  << disk::type_text(layout.label, part.type) << (part.bootable ? "  bootable" : "");
        if (part.name) std::cout << "  \"" << *part.name << "\"";
        std::cout << "\n";
    }
}

}  // namespace

int run_disk_show(const std::vector<std::string>& args) {
    po::options_description options("Options");
    options.add_options()("target", po::value<std::string>()->required(), "disk or image file")(
        "json", "print the layout exactly as `sfdisk --json` does")(
        "with-bootcode", "add the MBR boot code (dagda extension field x-dagda-bootcode) to the JSON");
    po::positional_options_description positional;
    positional.add("target", 1);
    const auto vm = parse_args(args, {"disk", "show"}, options, positional);
    if (!vm) return 0;
    const std::string path = (*vm)["target"].as<std::string>();
    const auto layout = disk::read_layout(disk::probe_target(path));
    if (!layout) throw Error(ErrorKind::failed, path + ": does not contain a recognized partition table");
    if (vm->count("json")) std::cout << disk::to_sfdisk_json(*layout, vm->count("with-bootcode") > 0);
    else print_text(*layout);
    return 0;
}

}  // namespace dagda::app
