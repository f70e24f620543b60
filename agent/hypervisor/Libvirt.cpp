#include "hypervisor/Libvirt.hpp"

#include "core/Error.hpp"

#include <libvirt/virterror.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <vector>

namespace dagda::hypervisor {

namespace {

/// libvirt's error callback: nothing printed, nothing thrown (this runs inside libvirt).
void keep_quiet(void*, virErrorPtr) noexcept {}

void install_quiet_error_handler() {
    static std::once_flag once;
    std::call_once(once, [] {
        virInitialize();
        virSetErrorFunc(nullptr, keep_quiet);
    });
}

/// libvirt's auth callback: fills the user name and password it asks for. It runs inside
/// libvirt, so it copies strings with malloc (libvirt frees them) and never throws.
int give_credentials(virConnectCredentialPtr asked, unsigned int count, void* data) noexcept {
    const auto* credentials = static_cast<const Credentials*>(data);
    for (unsigned int i = 0; i < count; ++i) {
        const std::string* answer = nullptr;
        if (asked[i].type == VIR_CRED_AUTHNAME) answer = &credentials->user;
        else if (asked[i].type == VIR_CRED_PASSPHRASE || asked[i].type == VIR_CRED_NOECHOPROMPT) answer = &credentials->password;
        if (!answer) return -1;  // something else (a certificate question): not answered blindly
        asked[i].result = ::strdup(answer->c_str());
        if (!asked[i].result) return -1;
        asked[i].resultlen = static_cast<unsigned int>(answer->size());
    }
    return 0;
}

/// A string libvirt allocated, freed with free().
std::string take_string(char* text) {
    if (!text) return {};
    std::string copy(text);
    std::free(text);
    return copy;
}

}  // namespace

Credentials read_credentials(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw Error(ErrorKind::failed, "cannot read the credentials file " + path);
    Credentials credentials;
    bool has_user = false, has_password = false;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind("user=", 0) == 0) credentials.user = line.substr(5), has_user = true;
        else if (line.rfind("password=", 0) == 0) credentials.password = line.substr(9), has_password = true;
    }
    if (!has_user || !has_password) throw Error(ErrorKind::failed, "the credentials file " + path + " needs a line user=NAME and a line password=SECRET");
    return credentials;
}

void fail(const std::string& doing) {
    const char* message = virGetLastErrorMessage();
    throw Error(ErrorKind::failed, doing + ": " + (message && *message ? message : "libvirt gave no reason"));
}

Connection::Connection(const std::string& uri, const Credentials* credentials) : uri_(uri) {
    install_quiet_error_handler();
    int asked[] = {VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE, VIR_CRED_NOECHOPROMPT};
    virConnectAuth auth{asked, credentials ? 3u : 0u, credentials ? give_credentials : nullptr, const_cast<Credentials*>(credentials)};
    handle_ = virConnectOpenAuth(uri.c_str(), &auth, 0);
    if (!handle_) fail("cannot connect to the hypervisor " + uri);
}

Connection::~Connection() {
    if (handle_) virConnectClose(handle_);
}

StoragePool::StoragePool(const Connection& connection, const std::string& name) : name_(name) {
    handle_ = virStoragePoolLookupByName(connection.get(), name.c_str());
    if (!handle_) fail("the hypervisor " + connection.uri() + " has no storage pool \"" + name + "\"");
    const int active = virStoragePoolIsActive(handle_);
    if (active < 0) fail("cannot tell whether the storage pool \"" + name + "\" is active");
    if (active == 0) {
        virStoragePoolFree(handle_);
        handle_ = nullptr;
        throw Error(ErrorKind::failed, "the storage pool \"" + name + "\" of " + connection.uri() + " is not active (virsh pool-start " + name + ")");
    }
}

StoragePool::~StoragePool() {
    if (handle_) virStoragePoolFree(handle_);
}

std::uint64_t StoragePool::available_bytes() {
    if (virStoragePoolRefresh(handle_, 0) != 0) fail("cannot refresh the storage pool \"" + name_ + "\"");
    virStoragePoolInfo info{};
    if (virStoragePoolGetInfo(handle_, &info) != 0) fail("cannot read the storage pool \"" + name_ + "\"");
    return info.available;
}

std::string StoragePool::type() const {
    const std::string xml = take_string(virStoragePoolGetXMLDesc(handle_, 0));
    if (xml.empty()) fail("cannot read the definition of the storage pool \"" + name_ + "\"");
    const std::size_t at = xml.find("type='");
    if (at == std::string::npos) return {};
    return xml.substr(at + 6, xml.find('\'', at + 6) - at - 6);
}

StorageVolume::StorageVolume(const StoragePool& pool, const std::string& name) : name_(name) {
    handle_ = virStorageVolLookupByName(pool.get(), name.c_str());
    if (!handle_) fail("the storage pool has no volume \"" + name + "\"");
}

StorageVolume::StorageVolume(const StoragePool& pool, const std::string& name, const std::string& xml) : name_(name) {
    handle_ = virStorageVolCreateXML(pool.get(), xml.c_str(), 0);
    if (!handle_) fail("cannot create the volume \"" + name + "\"");
}

StorageVolume::StorageVolume(const StoragePool& pool, const std::string& name, const std::string& xml, const StorageVolume& source) : name_(name) {
    handle_ = virStorageVolCreateXMLFrom(pool.get(), xml.c_str(), source.get(), 0);
    if (!handle_) fail("cannot copy the volume \"" + source.name_ + "\" to \"" + name + "\"");
}

StorageVolume::~StorageVolume() {
    if (handle_) virStorageVolFree(handle_);
}

std::string StorageVolume::path() const {
    const std::string path = take_string(virStorageVolGetPath(handle_));
    if (path.empty()) fail("cannot read the path of the volume \"" + name_ + "\"");
    return path;
}

std::uint64_t StorageVolume::capacity_bytes() const {
    virStorageVolInfo info{};
    if (virStorageVolGetInfo(handle_, &info) != 0) fail("cannot read the volume \"" + name_ + "\"");
    return info.capacity;
}

void StorageVolume::remove() {
    if (virStorageVolDelete(handle_, 0) != 0) fail("cannot delete the volume \"" + name_ + "\"");
}

void StorageVolume::upload(const std::string& file) {
    std::ifstream in(file, std::ios::binary | std::ios::ate);
    if (!in) throw Error(ErrorKind::failed, "cannot read " + file);
    const auto size = static_cast<unsigned long long>(in.tellg());
    in.seekg(0);
    virConnectPtr connection = virStorageVolGetConnect(handle_);
    const std::unique_ptr<virStream, int (*)(virStreamPtr)> stream(virStreamNew(connection, 0), virStreamFree);
    if (!stream) fail("cannot open a stream to the volume \"" + name_ + "\"");
    if (virStorageVolUpload(handle_, stream.get(), 0, size, 0) != 0) fail("cannot upload to the volume \"" + name_ + "\"");
    std::vector<char> piece(1 << 20);
    for (unsigned long long sent = 0; sent < size;) {
        in.read(piece.data(), static_cast<std::streamsize>(std::min<unsigned long long>(piece.size(), size - sent)));
        const auto got = static_cast<std::size_t>(in.gcount());
        if (got == 0) {
            virStreamAbort(stream.get());
            throw Error(ErrorKind::failed, file + " ended early while it was uploaded");
        }
        for (std::size_t done = 0; done < got;) {
            const int wrote = virStreamSend(stream.get(), piece.data() + done, got - done);
            if (wrote < 0) {
                virStreamAbort(stream.get());
                fail("the upload of " + file + " to the volume \"" + name_ + "\" stopped");
            }
            done += static_cast<std::size_t>(wrote);
        }
        sent += got;
    }
    if (virStreamFinish(stream.get()) != 0) fail("the upload of " + file + " to the volume \"" + name_ + "\" did not finish");
}

Domain::Domain(const Connection& connection, const std::string& name, Lookup) : name_(name) {
    handle_ = virDomainLookupByName(connection.get(), name.c_str());
    if (!handle_) fail("the hypervisor " + connection.uri() + " has no VM \"" + name + "\"");
}

Domain::Domain(const Connection& connection, const std::string& xml) {
    handle_ = virDomainDefineXML(connection.get(), xml.c_str());
    if (!handle_) fail("the hypervisor " + connection.uri() + " did not take the VM's definition");
    const char* name = virDomainGetName(handle_);
    name_ = name ? name : "?";
}

Domain::~Domain() {
    if (handle_) virDomainFree(handle_);
}

bool Domain::running() const {
    int state = 0, reason = 0;
    if (virDomainGetState(handle_, &state, &reason, 0) != 0) fail("cannot read the state of the VM \"" + name_ + "\"");
    return state != VIR_DOMAIN_SHUTOFF && state != VIR_DOMAIN_CRASHED && state != VIR_DOMAIN_NOSTATE;
}

std::string Domain::xml() const {
    const std::string xml = take_string(virDomainGetXMLDesc(handle_, VIR_DOMAIN_XML_INACTIVE));
    if (xml.empty()) fail("cannot read the definition of the VM \"" + name_ + "\"");
    return xml;
}

void Domain::start() {
    if (virDomainCreate(handle_) != 0) fail("cannot start the VM \"" + name_ + "\"");
}

std::string Domain::uuid() const {
    char text[VIR_UUID_STRING_BUFLEN] = {};
    if (virDomainGetUUIDString(handle_, text) != 0) fail("cannot read the UUID of the VM \"" + name_ + "\"");
    return text;
}

void Domain::stop_now() {
    if (running() && virDomainDestroy(handle_) != 0) fail("cannot stop the VM \"" + name_ + "\"");
}

void Domain::undefine() {
    // The UEFI variables file is the VM's own; a hypervisor without NVRAM support ignores the flag
    // only when retried without it.
    if (virDomainUndefineFlags(handle_, VIR_DOMAIN_UNDEFINE_NVRAM) != 0 && virDomainUndefine(handle_) != 0)
        fail("cannot remove the definition of the VM \"" + name_ + "\"");
}

bool domain_exists(const Connection& connection, const std::string& name) {
    virDomainPtr found = virDomainLookupByName(connection.get(), name.c_str());
    if (!found) {
        if (virGetLastErrorCode() == VIR_ERR_NO_DOMAIN) return false;
        fail("cannot look for the VM \"" + name + "\" on " + connection.uri());
    }
    virDomainFree(found);
    return true;
}

bool network_exists(const Connection& connection, const std::string& name) {
    virNetworkPtr found = virNetworkLookupByName(connection.get(), name.c_str());
    if (!found) {
        if (virGetLastErrorCode() == VIR_ERR_NO_NETWORK) return false;
        fail("cannot look for the network \"" + name + "\" on " + connection.uri());
    }
    virNetworkFree(found);
    return true;
}

}  // namespace dagda::hypervisor
