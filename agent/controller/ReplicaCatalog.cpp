#include "controller/ReplicaCatalog.hpp"

#include <iostream>

namespace dagda::controller {

namespace {

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

AdapterListing ask(ReplicationAdapter& adapter) {
    AdapterListing listed;
    listed.name = adapter.name();
    try {
        listed.sessions = discover_sessions(adapter);
    } catch (const std::exception& e) {
        listed.error = e.what();
    }
    listed.asked = unix_now();
    return listed;
}

}  // namespace

ReplicaCatalog::ReplicaCatalog(ReplicaEngine& engine, std::vector<std::unique_ptr<ReplicationAdapter>> external, std::chrono::seconds scan)
    : engine_(engine), builtin_(engine), external_(std::move(external)), scan_(scan) {
    for (const auto& adapter : external_) listed_.push_back({adapter->name(), 0, "not asked yet", {}});
}

ReplicaCatalog::~ReplicaCatalog() {
    cancel_calls();
    if (thread_.joinable()) thread_.join();
}

void ReplicaCatalog::cancel_calls() {
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    for (const auto& adapter : external_) adapter->cancel();
    stop_.notify_all();
}

void ReplicaCatalog::start() {
    if (!external_.empty()) thread_ = std::thread([this] { loop(); });
}

void ReplicaCatalog::loop() {
    while (!stopping_) {
        for (std::size_t i = 0; i < external_.size() && !stopping_; ++i) {
            AdapterListing listed = ask(*external_[i]);
            if (!listed.error.empty()) std::cerr << "dagda controller: " << listed.error << "\n";
            const std::lock_guard<std::mutex> lock(mutex_);
            listed_[i] = std::move(listed);
        }
        std::unique_lock<std::mutex> lock(mutex_);
        stop_.wait_for(lock, scan_, [this] { return stopping_.load(); });
    }
}

std::vector<AdapterListing> ReplicaCatalog::listing() {
    std::vector<AdapterListing> out{ask(builtin_)};
    const std::lock_guard<std::mutex> lock(mutex_);
    out.insert(out.end(), listed_.begin(), listed_.end());
    return out;
}

ReplicationAdapter* ReplicaCatalog::adapter(const std::string& name) {
    if (name == builtin_.name()) return &builtin_;
    for (const auto& adapter : external_)
        if (adapter->name() == name) return adapter.get();
    return nullptr;
}

}  // namespace dagda::controller
