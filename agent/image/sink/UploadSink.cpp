// An archive uploaded to the controller while it is written (docs/api.md, "Uploads"): pieces of
// 8 MiB PUT at their offset, the link's drops survived by asking again, then a commit the
// controller answers only once it has verified the whole archive.

#include "image/sink/ArchiveSink.hpp"

#include "core/Error.hpp"
#include "image/source/HttpConnection.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

namespace dagda::image {

namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t piece_size = 8u << 20;  // at most 16 MiB per PUT (docs/api.md)
constexpr std::uint64_t answer_limit = 64 * 1024;  // the controller's answers are small JSON
constexpr auto first_pause = std::chrono::milliseconds(200);
constexpr auto longest_pause = std::chrono::seconds(5);
// A controller still verifying is waited for this long at most: far longer than any archive takes.
constexpr auto longest_verification = std::chrono::hours(6);

class UploadSink final : public ArchiveSink {
public:
    UploadSink(const std::string& url, const HttpsTrust& trust, const UploadOptions& options)
        : name_(url), url_(parse_http_url(url)), options_(options), tls_(ssl::context::tls_client), random_(std::random_device{}()) {
        configure_client_tls(tls_, url_, trust, trust_);
        const json status = ask_status();
        const std::string state = status.value("state", "");
        if (state == "committed") throw Error(ErrorKind::refused, name_ + ": the controller holds this archive already; a backup is never replaced");
        if (state == "verifying") throw Error(ErrorKind::refused, name_ + ": the controller is committing another upload of this archive");
        piece_.reserve(piece_size);
    }

    void append(const void* data, std::size_t size) override {
        const auto* bytes = static_cast<const std::uint8_t*>(data);
        while (size > 0) {
            const std::size_t n = std::min(size, piece_size - piece_.size());
            piece_.insert(piece_.end(), bytes, bytes + n);
            bytes += n;
            size -= n;
            if (piece_.size() == piece_size) send_piece();
        }
    }

    void commit(std::uint64_t size, const std::string& digest_hex) override {
        if (!piece_.empty()) send_piece();
        if (sent_ != size) throw Error(ErrorKind::failed, name_ + ": " + std::to_string(sent_) + " bytes sent, not " + std::to_string(size));
        const std::string body = json{{"size", size}, {"digest", digest_hex}}.dump();
        const auto deadline = Clock::now() + longest_verification;
        bool asked = false;
        for (auto pause = std::chrono::milliseconds(100); Clock::now() < deadline;) {
            if (!asked) {
                const HttpResponse answer = with_retries("committing", [&](HttpConnection& connection, bool) {
                    return connection.send({http::verb::post, {{"Content-Type", "application/json"}},
                                            reinterpret_cast<const std::uint8_t*>(body.data()), body.size(), ""}, answer_limit);
                });
                if (answer.result() != http::status::accepted && answer.result() != http::status::ok) throw refusal("the commit", answer);
                asked = true;
            }
            const json status = ask_status();
            const std::string state = status.value("state", "");
            if (state == "committed") return;
            if (state == "failed")
                throw Error(ErrorKind::failed, name_ + ": the controller did not commit the archive: " + status.value("reason", std::string("no reason given")));
            // Still receiving: a controller restarted while verifying forgot the commit; ask again.
            if (state == "receiving") asked = false;
            else if (state != "verifying") throw Error(ErrorKind::failed, name_ + ": the controller answered an upload state \"" + state + "\"");
            wait(pause);
            pause = std::min<std::chrono::milliseconds>(pause * 2, std::chrono::seconds(1));
        }
        throw Error(ErrorKind::failed, name_ + ": the controller was still verifying the archive after 6 hours");
    }

    const std::string& name() const override { return name_; }

private:
    /// Sends the piece at `sent_`; an earlier send whose answer was lost counts as sent.
    void send_piece() {
        const std::uint64_t end = sent_ + piece_.size();
        const HttpResponse answer = with_retries("sending bytes " + std::to_string(sent_), [&](HttpConnection& connection, bool again) {
            // After a failed send the state is asked first: the controller may hold the piece
            // already (its answer was lost), or refuse the upload now (the job ended), which a
            // controller closing on an unread 8 MiB body could only say as a reset.
            // The first piece is simply sent again: at offset 0 it starts the upload over.
            if (again) {
                HttpResponse state = connection.send({http::verb::get, {}, nullptr, 0, ""}, answer_limit);
                if (state.result() != http::status::ok || (sent_ != 0 && received_of(state) != sent_)) return state;
            }
            return connection.send({http::verb::put, {{"Upload-Offset", std::to_string(sent_)}, {"Content-Type", "application/octet-stream"}},
                                    piece_.data(), piece_.size(), ""}, answer_limit);
        });
        if (answer.result() == http::status::ok || answer.result() == http::status::conflict) {
            const std::uint64_t held = received_of(answer);
            if (held != end)
                throw Error(ErrorKind::failed, name_ + ": the controller holds " + std::to_string(held) + " bytes of the upload where " +
                                                   std::to_string(end) + " were sent (it lost part of it); capture again");
        } else {
            throw refusal("bytes " + std::to_string(sent_) + "-" + std::to_string(end - 1), answer);
        }
        sent_ = end;
        piece_.clear();
    }

    json ask_status() {
        const HttpResponse answer = with_retries("asking for the upload's state", [&](HttpConnection& connection, bool) {
            return connection.send({http::verb::get, {}, nullptr, 0, ""}, answer_limit);
        });
        if (answer.result() != http::status::ok) throw refusal("the upload's state", answer);
        return parsed(answer);
    }

    json parsed(const HttpResponse& answer) const {
        json body = json::parse(answer.body().begin(), answer.body().end(), nullptr, false);
        if (!body.is_object()) throw Error(ErrorKind::failed, name_ + ": the controller's answer is not a JSON object");
        return body;
    }

    std::uint64_t received_of(const HttpResponse& answer) const {
        const json body = parsed(answer);
        if (!body.contains("received") || !body["received"].is_number_unsigned())
            throw Error(ErrorKind::failed, name_ + ": the controller's answer does not say how many bytes it holds");
        return body["received"].get<std::uint64_t>();
    }

    Error refusal(const std::string& what, const HttpResponse& answer) const {
        std::string text(answer.body().begin(), answer.body().end());
        const json body = json::parse(text, nullptr, false);
        if (body.is_object() && body.contains("message") && body["message"].is_string()) text = body["message"];
        if (text.size() > 300) text.resize(300);
        return Error(answer.result() == http::status::forbidden ? ErrorKind::refused : ErrorKind::failed,
                     name_ + ": the controller refused " + what + " (" + std::to_string(answer.result_int()) + "): " + text);
    }

    /// Runs `request` on the kept-alive connection, or a new one after the link dropped (telling
    /// it whether this is a retry); a controller that is busy or behind a proxy that lost it (502,
    /// 503, 504) is asked again too. Pauses double up to 5 s,
    /// each shortened or stretched by up to half at random so that agents cut off together do
    /// not all come back in the same instant; gives up after `patience_seconds` without an answer.
    template <typename Request>
    HttpResponse with_retries(const std::string& what, Request request) {
        const auto give_up = Clock::now() + std::chrono::seconds(options_.patience_seconds);
        std::string last_error;
        for (auto pause = std::chrono::duration_cast<std::chrono::milliseconds>(first_pause);;) {
            try {
                if (!connection_) connection_ = std::make_unique<HttpConnection>(io_, tls_, url_, trust_ ? &*trust_ : nullptr);
                HttpResponse answer = request(*connection_, !last_error.empty());
                if (!answer.keep_alive()) connection_.reset();
                // Busy, or a proxy without its controller: asked again. Any other answer is final.
                const unsigned code = answer.result_int();
                if (code != 502 && code != 503 && code != 504) return answer;
                last_error = "it answered " + std::to_string(answer.result_int());
            } catch (const ConnectFailure& e) {
                connection_.reset();
                last_error = e.what();
            } catch (const boost::system::system_error& e) {
                connection_.reset();
                last_error = e.code().message();
            }
            if (Clock::now() >= give_up)
                throw Error(ErrorKind::failed, name_ + ": " + what + " failed for " + std::to_string(options_.patience_seconds) +
                                                   " s; the last attempt: " + last_error);
            std::uniform_real_distribution<double> jitter(0.5, 1.5);
            wait(std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(pause.count()) * jitter(random_))));
            pause = std::min<std::chrono::milliseconds>(pause * 2, longest_pause);
        }
    }

    void wait(std::chrono::milliseconds pause) {
        for (const auto until = Clock::now() + pause; Clock::now() < until;) {
            if (options_.check_cancel) options_.check_cancel();
            std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(100), until - Clock::now()));
        }
    }

    std::string name_;
    HttpUrl url_;
    UploadOptions options_;
    std::optional<OriginTrust> trust_;
    boost::asio::io_context io_;
    ssl::context tls_;
    std::unique_ptr<HttpConnection> connection_;
    std::vector<std::uint8_t> piece_;
    std::uint64_t sent_ = 0;  ///< bytes the controller holds
    std::mt19937_64 random_;
};

}  // namespace

std::unique_ptr<ArchiveSink> open_upload_sink(const std::string& url, const HttpsTrust& trust, const UploadOptions& options) {
    return std::make_unique<UploadSink>(url, trust, options);
}

}  // namespace dagda::image
