#include "windows/inf/InfCopyFiles.hpp"

namespace dagda::windows::inf {

namespace {

std::string joined_windows(const std::string& a, const std::string& b) {
    if (a.empty()) return b;
    if (b.empty()) return a;
    return a + "\\" + b;
}

// Path components of `path` ('\' or '/' separated), empty ones dropped.
std::vector<std::string> components(const std::string& path) {
    std::vector<std::string> parts;
    std::string part;
    for (const char c : path + "\\") {
        if (c != '\\' && c != '/') {
            part += c;
        } else if (!part.empty()) {
            parts.push_back(part);
            part.clear();
        }
    }
    return parts;
}

// The line for `key` in `section.<arch>`, else in `section`.
const InfLine* decorated_entry(const InfFile& inf, const std::string& section, const std::string& arch, const std::string& key) {
    for (const std::string& name : {section + "." + arch, section}) {
        if (const InfSection* found = inf.find(name)) {
            if (const InfLine* line = found->find(key)) return line;
        }
    }
    return nullptr;
}

void find_source(const InfFile& inf, const std::string& arch, FileCopy& file) {
    std::string relative = file.source_name;
    if (const InfLine* listed = decorated_entry(inf, "SourceDisksFiles", arch, file.source_name)) {
        const std::optional<std::uint32_t> disk = parse_inf_number(InfFile::optional(*listed, 0));
        if (!disk) throw inf.error(listed->line, "SourceDisksFiles disk id of " + file.source_name + " is not a number");
        file.disk_id = *disk;
        relative = joined_windows(InfFile::optional(*listed, 1), relative);
        if (const InfLine* disk_line = decorated_entry(inf, "SourceDisksNames", arch, std::to_string(*disk))) {
            relative = joined_windows(InfFile::optional(*disk_line, 3), relative);
        }
    }
    const std::optional<std::string> safe = safe_relative_path(relative, '/');
    if (!safe) throw inf.error(file.line, "source path " + relative + " leaves the package folder");
    file.source_path = *safe;
}

void check_name(const InfFile& inf, const InfLine& line, const std::string& name) {
    if (name == "." || name == ".." || name.find_first_of("\\/") != std::string::npos) {
        throw inf.error(line.line, "file name \"" + name + "\" is not a plain file name");
    }
}

FileCopy file_from_list(const InfFile& inf, const InfSection& list, const InfLine& line) {
    if (line.has_key) throw inf.error(line.line, "file-list line has an '=' (expected dest[,source][,,flags])");
    FileCopy file;
    file.dest_name = inf.required(line, 0, "destination file name");
    file.source_name = line.fields.size() > 1 && !line.fields[1].empty() ? inf.required(line, 1, "source file name") : file.dest_name;
    check_name(inf, line, file.dest_name);
    check_name(inf, line, file.source_name);
    const std::string& flags = InfFile::optional(line, 3);
    if (!flags.empty()) {
        const std::optional<std::uint32_t> value = parse_inf_number(flags);
        if (!value) throw inf.error(line.line, "CopyFiles flags \"" + flags + "\" are not a number");
        file.flags = *value;
    }
    file.section = list.name;
    file.line = line.line;
    return file;
}

}  // namespace

std::optional<std::string> safe_relative_path(const std::string& path, char separator) {
    std::string out;
    for (const std::string& part : components(path)) {
        if (part == "..") return std::nullopt;
        if (part == ".") continue;
        out += (out.empty() ? "" : std::string(1, separator)) + part;
    }
    return out;
}

std::optional<std::string> dirid_folder(unsigned dirid, const std::string& store_folder) {
    switch (dirid) {
        case 10: return std::string();
        case 11: return std::string("System32");
        case 12: return std::string("System32\\drivers");
        case 13: return "System32\\DriverStore\\FileRepository\\" + store_folder;
        case 17: return std::string("INF");
        case 18: return std::string("Help");
        case 20: return std::string("Fonts");
        case 23: return std::string("System32\\spool\\drivers\\color");
        case 50: return std::string("System");
        case 51: return std::string("System32\\spool");
        case 52: return std::string("System32\\spool\\drivers");
        case 55: return std::string("System32\\spool\\prtprocs");
        default: return std::nullopt;
    }
}

std::string system_root_path(const InfDirectory& directory, const std::string& name, const std::string& store_folder) {
    const std::optional<std::string> folder = dirid_folder(directory.dirid, store_folder);
    if (!folder) throw Error(ErrorKind::failed, "dirid " + std::to_string(directory.dirid) + " is not a folder under %SystemRoot%");
    return joined_windows(joined_windows(*folder, directory.subdir), name);
}

InfDirectory destination_dir(const InfFile& inf, const std::string& copy_section, const std::string& store_folder) {
    const InfSection* dirs = inf.find("DestinationDirs");
    const InfLine* line = nullptr;
    if (dirs && !copy_section.empty()) line = dirs->find(copy_section);
    if (dirs && !line) line = dirs->find("DefaultDestDir");
    if (!line) return InfDirectory{11, {}};
    const std::string& text = inf.required(*line, 0, "DestinationDirs dirid");
    const std::optional<std::uint32_t> dirid = parse_inf_number(text);
    if (!dirid) throw inf.error(line->line, "DestinationDirs dirid \"" + text + "\" is not a number");
    if (!dirid_folder(*dirid, store_folder)) {
        throw inf.error(line->line, "unknown dirid " + text + " (known: 10, 11, 12, 13, 17, 18, 20, 23, 50, 51, 52, 55)");
    }
    const std::optional<std::string> subdir = safe_relative_path(InfFile::optional(*line, 1), '\\');
    if (!subdir) throw inf.error(line->line, "DestinationDirs subdir leaves its dirid with \"..\"");
    return InfDirectory{*dirid, *subdir};
}

std::vector<FileCopy> copy_files(const InfFile& inf, const InfSection& install, const std::string& arch,
                                 const std::string& store_folder) {
    std::vector<FileCopy> files;
    for (const InfLine* directive : install.find_all("CopyFiles")) {
        for (std::size_t i = 0; i < directive->fields.size(); ++i) {
            if (directive->fields[i].empty()) continue;
            const std::string& name = inf.required(*directive, i, "CopyFiles");
            std::vector<FileCopy> listed;
            InfDirectory destination;
            if (name.front() == '@') {
                FileCopy direct;
                direct.dest_name = direct.source_name = name.substr(1);
                direct.line = directive->line;
                check_name(inf, *directive, direct.dest_name);
                listed.push_back(direct);
                destination = destination_dir(inf, "", store_folder);
            } else {
                const InfSection& list = inf.section(name, directive->line, "CopyFiles");
                for (const InfLine& line : list.lines) listed.push_back(file_from_list(inf, list, line));
                destination = destination_dir(inf, list.name, store_folder);
            }
            for (FileCopy& file : listed) {
                find_source(inf, arch, file);
                file.destination = destination;
                file.target_path = system_root_path(destination, file.dest_name, store_folder);
                files.push_back(std::move(file));
            }
        }
    }
    return files;
}

}  // namespace dagda::windows::inf
