#pragma once
/// libvirt's C handles, one RAII class each (connection, storage pool, volume, domain, stream),
/// and the errors libvirt reports turned into dagda::Error naming what was being done.
///
/// libvirt prints every error to stderr unless the program installs an error handler; the
/// handler installed here drops them (it runs inside libvirt, so it does nothing that can
/// throw): each failed call's message is read once, by `fail`, and goes into the Error.

#include <libvirt/libvirt.h>

#include <cstdint>
#include <string>

namespace dagda::hypervisor {

/// Throws Error{failed} "`doing`: libvirt's last message"; call right after the failing call.
[[noreturn]] void fail(const std::string& doing);

/// A user name and password for a hypervisor, given to libvirt through its auth callback only
/// (never in the URI, which the controller logs and shows).
struct Credentials {
    std::string user, password;
};

/// The credentials in `path`: a line "user=NAME" and a line "password=SECRET" (the controller's
/// file, mode 600). Throws Error{failed} naming what is missing; never shows the password.
Credentials read_credentials(const std::string& path);

/// virConnectPtr. Opening asks libvirt for the connection; libvirt asks back for credentials
/// (VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE), which come from `credentials` when given.
class Connection {
public:
    Connection(const std::string& uri, const Credentials* credentials);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();
    virConnectPtr get() const noexcept { return handle_; }
    const std::string& uri() const noexcept { return uri_; }

private:
    std::string uri_;
    virConnectPtr handle_ = nullptr;
};

/// virStoragePoolPtr, looked up by name; refused unless the pool is active.
class StoragePool {
public:
    StoragePool(const Connection& connection, const std::string& name);
    StoragePool(const StoragePool&) = delete;
    StoragePool& operator=(const StoragePool&) = delete;
    ~StoragePool();
    virStoragePoolPtr get() const noexcept { return handle_; }
    /// Bytes the pool can still give new volumes (libvirt's `available`, refreshed first).
    std::uint64_t available_bytes();
    /// The pool's type: "dir", "fs", "logical", "vmfs" (ESX datastores)... from its XML.
    std::string type() const;

private:
    std::string name_;
    virStoragePoolPtr handle_ = nullptr;
};

/// virStorageVolPtr: an existing volume by name, or one made from volume XML.
class StorageVolume {
public:
    /// The volume `name` of `pool`; throws Error{failed} when there is none.
    StorageVolume(const StoragePool& pool, const std::string& name);
    /// A new volume from `xml` (see volume_xml).
    StorageVolume(const StoragePool& pool, const std::string& name, const std::string& xml);
    /// A new volume from `xml` holding a copy of `source` (libvirt's clone: sparse-aware in a
    /// dir pool, the datastore's own copy on ESX).
    StorageVolume(const StoragePool& pool, const std::string& name, const std::string& xml, const StorageVolume& source);
    StorageVolume(const StorageVolume&) = delete;
    StorageVolume& operator=(const StorageVolume&) = delete;
    ~StorageVolume();
    virStorageVolPtr get() const noexcept { return handle_; }
    /// Where the hypervisor sees it: a file path, or "[datastore] folder/disk.vmdk" on ESX.
    std::string path() const;
    std::uint64_t capacity_bytes() const;
    /// Deletes the volume (its data is gone).
    void remove();
    /// Copies a local file into the volume through the hypervisor's API (works where the pool
    /// is remote: the helper's ISO on another host).
    void upload(const std::string& file);

private:
    std::string name_;
    virStorageVolPtr handle_ = nullptr;
};

/// virDomainPtr: a defined VM by name, or one defined from domain XML.
class Domain {
public:
    enum class Lookup { must_exist };
    Domain(const Connection& connection, const std::string& name, Lookup);
    /// Defines (or redefines, while it is off) the VM of `xml`.
    Domain(const Connection& connection, const std::string& xml);
    Domain(const Domain&) = delete;
    Domain& operator=(const Domain&) = delete;
    ~Domain();
    virDomainPtr get() const noexcept { return handle_; }
    bool running() const;
    std::string uuid() const;
    /// The definition as libvirt keeps it (inactive XML: what the next start uses).
    std::string xml() const;
    void start();
    /// Pulls the plug (the helper when its agent powered off already, or a cleanup).
    void stop_now();
    /// Removes the definition (and its UEFI variables file); its disks stay.
    void undefine();

private:
    std::string name_;
    virDomainPtr handle_ = nullptr;
};

/// Whether `connection` has a domain named `name`.
bool domain_exists(const Connection& connection, const std::string& name);

/// Whether `connection` has a virtual network named `name` (an ESX port group, a libvirt network).
bool network_exists(const Connection& connection, const std::string& name);

}  // namespace dagda::hypervisor
