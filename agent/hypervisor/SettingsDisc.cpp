#include "hypervisor/SettingsDisc.hpp"

#include "core/Error.hpp"
#include "core/OwnerOnlyFile.hpp"

// Without libburn, libisofs.h declares struct burn_source itself (the image is read through it).
#define LIBISOFS_WITHOUT_LIBBURN
#include <libisofs/libisofs.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

namespace dagda::hypervisor {

namespace {

void check(int result, const std::string& what) {
    if (result < 0) throw Error(ErrorKind::failed, "cannot make the settings CD: " + what + ": " + iso_error_to_msg(result));
}

/// libisofs keeps process-wide state (its message queue) that iso_init sets up once.
void init_libisofs() {
    static std::once_flag once;
    static int result = 0;
    std::call_once(once, [] {
        result = iso_init();
        if (result >= 0) iso_set_msgs_severities(const_cast<char*>("NEVER"), const_cast<char*>("FATAL"), const_cast<char*>("dagda"));
    });
    check(result, "libisofs would not start");
}

/// IsoImage: the tree being built.
class IsoImageHandle {
public:
    IsoImageHandle() { check(iso_image_new(settings_disc_label, &image_), "a new image"); }
    IsoImageHandle(const IsoImageHandle&) = delete;
    IsoImageHandle& operator=(const IsoImageHandle&) = delete;
    ~IsoImageHandle() { iso_image_unref(image_); }
    IsoImage* get() const noexcept { return image_; }

private:
    IsoImage* image_ = nullptr;
};

/// IsoWriteOpts: how the tree is written.
class WriteOptions {
public:
    WriteOptions() { check(iso_write_opts_new(&options_, 0), "write options"); }
    WriteOptions(const WriteOptions&) = delete;
    WriteOptions& operator=(const WriteOptions&) = delete;
    ~WriteOptions() { iso_write_opts_free(options_); }
    IsoWriteOpts* get() const noexcept { return options_; }

private:
    IsoWriteOpts* options_ = nullptr;
};

/// The burn_source libisofs writes the image through (its writer thread runs until it is read to the end or freed).
class ImageSource {
public:
    ImageSource(IsoImage* image, IsoWriteOpts* options) { check(iso_image_create_burn_source(image, options, &source_), "the image writer"); }
    ImageSource(const ImageSource&) = delete;
    ImageSource& operator=(const ImageSource&) = delete;
    ~ImageSource() {
        source_->free_data(source_);
        std::free(source_);
    }
    /// The next 2048-byte block; false at the end.
    bool read_block(unsigned char* block) {
        const int got = source_->read_xt(source_, block, 2048);
        if (got < 0) throw Error(ErrorKind::failed, "cannot make the settings CD: libisofs failed while writing it");
        return got == 2048;
    }

private:
    burn_source* source_ = nullptr;
};

/// A file of `text` in `folder` (libisofs frees the copy with the image).
void add_file(IsoImage* image, IsoDir* folder, const char* name, const std::string& text) {
    auto* copy = static_cast<unsigned char*>(std::malloc(text.size() + 1));
    if (!copy) throw Error(ErrorKind::failed, "cannot make the settings CD: out of memory");
    std::memcpy(copy, text.data(), text.size());
    IsoStream* stream = nullptr;
    const int made = iso_memory_stream_new(copy, text.size(), &stream);
    if (made < 0) std::free(copy);
    check(made, std::string("the contents of ") + name);
    IsoFile* file = nullptr;
    const int added = iso_image_add_new_file(image, folder, name, stream, &file);  // the file takes the stream's reference
    if (added < 0) iso_stream_unref(stream);
    check(added, std::string("the file ") + name);
    iso_node_set_permissions(reinterpret_cast<IsoNode*>(file), 0400);
}

}  // namespace

std::string settings_disc_image(const SettingsDiscContents& contents) {
    init_libisofs();
    IsoImageHandle image;
    iso_image_set_volume_id(image.get(), settings_disc_label);
    IsoDir* folder = nullptr;
    check(iso_image_add_new_dir(image.get(), iso_image_get_root(image.get()), "dagda", &folder), "the folder dagda");
    add_file(image.get(), folder, "cmdline", contents.cmdline + "\n");
    if (!contents.ca_pem.empty()) add_file(image.get(), folder, "ca.pem", contents.ca_pem);
    if (!contents.drivers_folder.empty()) {
        IsoDir* drivers = nullptr;
        check(iso_image_add_new_dir(image.get(), folder, "drivers", &drivers), "the folder dagda/drivers");
        iso_tree_set_follow_symlinks(image.get(), 0);  // a link is written as a link, never followed out of the folder
        check(iso_tree_add_dir_rec(image.get(), drivers, contents.drivers_folder.c_str()), "the drivers folder " + contents.drivers_folder);
    }
    WriteOptions options;
    check(iso_write_opts_set_rockridge(options.get(), 1), "Rock Ridge");  // lower-case names, as /init reads them
    // The label keeps its '-' (ISO 9660's d-characters have none; blkid and Linux read it as it is).
    check(iso_write_opts_set_relaxed_vol_atts(options.get(), 1), "the volume label");
    std::string out;
    ImageSource source(image.get(), options.get());
    unsigned char block[2048];
    while (source.read_block(block)) out.append(reinterpret_cast<const char*>(block), sizeof block);
    if (out.size() < 16 * 2048) throw Error(ErrorKind::failed, "cannot make the settings CD: libisofs wrote only " + std::to_string(out.size()) + " bytes");
    return out;
}

void write_settings_disc(const std::string& path, const SettingsDiscContents& contents) {
    // It holds the helper's enrolment token: its owner's only, and never found cut short.
    write_owner_only(path, settings_disc_image(contents), Durability::durable);
}

}  // namespace dagda::hypervisor
