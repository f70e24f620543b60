#include "app/ConsoleTerminal.hpp"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>

namespace dagda::app {

struct ConsoleTerminal::Saved {
    termios settings{};
};

ConsoleTerminal::ConsoleTerminal() : tty_(::isatty(STDIN_FILENO)), saved_(new Saved) {
    if (tty_) ::tcgetattr(STDIN_FILENO, &saved_->settings);
}

ConsoleTerminal::~ConsoleTerminal() {
    keys(false);
    delete saved_;
}

void ConsoleTerminal::clear() { std::cout << "\033[H\033[2J" << std::flush; }

void ConsoleTerminal::print(const std::string& text) { std::cout << text << std::flush; }

std::optional<std::string> ConsoleTerminal::ask(const std::string& prompt) {
    keys(false);
    std::cout << prompt << std::flush;
    std::string line;
    if (!std::getline(std::cin, line)) return std::nullopt;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    return line;
}

std::optional<std::string> ConsoleTerminal::ask_hidden(const std::string& prompt) {
    keys(false);
    if (tty_) {
        termios quiet = saved_->settings;
        quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    const auto answer = ask(prompt);
    if (tty_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_->settings);
    std::cout << "\n" << std::flush;
    return answer;
}

void ConsoleTerminal::keys(bool on) {
    if (!tty_ || on == raw_) return;
    termios settings = saved_->settings;
    if (on) {
        settings.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO));
        settings.c_cc[VMIN] = 0;
        settings.c_cc[VTIME] = 0;
    }
    ::tcsetattr(STDIN_FILENO, TCSANOW, &settings);
    raw_ = on;
}

std::optional<char> ConsoleTerminal::key(int milliseconds) {
    pollfd fd{STDIN_FILENO, POLLIN, 0};
    if (::poll(&fd, 1, milliseconds) <= 0) return std::nullopt;
    char c = 0;
    if (::read(STDIN_FILENO, &c, 1) != 1) return std::nullopt;
    return c;
}

}  // namespace dagda::app
