#pragma once
/// The field engineer's terminal: the first console or a serial line, 80×24 at least, VT100.
/// Lines are read with echo for answers; single keys without Enter while a job runs.

#include <optional>
#include <string>

namespace dagda::app {

class ConsoleTerminal {
public:
    ConsoleTerminal();
    ConsoleTerminal(const ConsoleTerminal&) = delete;
    ConsoleTerminal& operator=(const ConsoleTerminal&) = delete;
    ~ConsoleTerminal();

    void clear();
    void print(const std::string& text);
    /// Prints `prompt` and reads one line (nullopt at end of input).
    std::optional<std::string> ask(const std::string& prompt);
    /// ask() without echo: a password.
    std::optional<std::string> ask_hidden(const std::string& prompt);
    /// Single-key mode on (no Enter needed, no echo) or off.
    void keys(bool on);
    /// A key pressed within `milliseconds`, or nullopt.
    std::optional<char> key(int milliseconds);

private:
    bool tty_;
    bool raw_ = false;
    struct Saved;
    Saved* saved_;
};

}  // namespace dagda::app
