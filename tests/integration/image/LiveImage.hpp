#pragma once
/// What the live-image tests share: where the image is, and the guest's serial console as a
/// person at it (SerialConsole).

#include "integration/controller/ControllerFixture.hpp"

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>

namespace dagda::testing {

inline std::string image_dir() {
    const char* given = std::getenv("DAGDA_IMAGE_DIR");
    return given && *given ? given : std::string(DAGDA_SOURCE_DIR) + "/build/image";
}

inline bool live_image_present() {
    return have_program("qemu-system-x86_64") && std::filesystem::exists(image_dir() + "/dagda-rescue.iso") &&
           std::filesystem::exists(image_dir() + "/initrd.img");
}

/// The guest's serial console as a person at it, through QEMU's UNIX socket for the port: what
/// it shows, and what is typed. A thread reads the socket all along: the port sends a byte at a
/// time, so a few hundred unread bytes fill the socket and stall the guest (and QEMU's log file
/// of the port then repeats bytes). wait_for looks only after the last thing waited for, so a
/// screen drawn again is not mistaken for the new one.
class SerialConsole {
public:
    explicit SerialConsole(std::string socket_path) : socket_path_(std::move(socket_path)), reader_([this] { read_until_stopped(); }) {}
    ~SerialConsole() {
        stopping_ = true;
        reader_.join();
        if (fd_ >= 0) ::close(fd_);
    }
    std::string text() const {
        const std::lock_guard<std::mutex> lock(mutex_);
        return shown_;
    }
    bool wait_for(const std::string& wanted, int seconds) {
        const bool seen = eventually([&] { return text().find(wanted, seen_) != std::string::npos; }, seconds);
        if (seen) seen_ = text().find(wanted, seen_) + wanted.size();
        else WARN("the console did not show \"" << wanted << "\"; it showed:\n" << text().substr(seen_));
        return seen;
    }
    void type(const std::string& keys, bool enter = true) {
        REQUIRE(eventually([&] { return fd_ >= 0; }, 30));
        const std::string line = keys + (enter ? "\r" : "");
        REQUIRE(::write(fd_, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
    }

private:
    void read_until_stopped() {
        int fd = -1;
        while (!stopping_ && fd < 0) {  // QEMU makes the socket as it starts
            fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
            sockaddr_un address{};
            address.sun_family = AF_UNIX;
            socket_path_.copy(address.sun_path, sizeof address.sun_path - 1);
            if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
                ::close(fd);
                fd = -1;
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        }
        fd_ = fd;
        while (!stopping_ && fd >= 0) {
            pollfd ready{fd, POLLIN, 0};
            if (::poll(&ready, 1, 100) <= 0) continue;
            char piece[4096];
            const ssize_t got = ::read(fd, piece, sizeof piece);
            if (got <= 0) break;  // QEMU ended
            const std::lock_guard<std::mutex> lock(mutex_);
            shown_.append(piece, static_cast<std::size_t>(got));
        }
    }

    std::string socket_path_;
    mutable std::mutex mutex_;
    std::string shown_;
    std::atomic<int> fd_{-1};
    std::atomic<bool> stopping_{false};
    std::size_t seen_ = 0;
    std::thread reader_;  // last: it starts once everything it uses is made
};

}  // namespace dagda::testing
