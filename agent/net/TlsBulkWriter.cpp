#include "net/TlsBulkWriter.hpp"

#include "core/Error.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <climits>
#include <new>

namespace dagda::net {

namespace {

// The collecting BIO's callbacks. OpenSSL calls them from SSL_write: they never throw.
int collect_write(BIO* bio, const char* data, int size) {
    auto* records = static_cast<std::string*>(BIO_get_data(bio));
    try {
        records->append(data, static_cast<std::size_t>(size));
    } catch (const std::bad_alloc&) {
        return -1;
    }
    return size;
}

long collect_ctrl(BIO*, int command, long, void*) {
    // A flush has nothing to push: the records are sent by write() once SSL_write returns.
    return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int collect_create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
}

/// The method of every collecting BIO, made once and kept for the program's life.
BIO_METHOD* collecting_method() {
    static BIO_METHOD* const method = [] {
        BIO_METHOD* made = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "dagda TLS record collector");
        if (!made || BIO_meth_set_write(made, collect_write) != 1 || BIO_meth_set_ctrl(made, collect_ctrl) != 1 ||
            BIO_meth_set_create(made, collect_create) != 1)
            throw Error(ErrorKind::failed, "OpenSSL: cannot make the TLS record collector's BIO method");
        return made;
    }();
    return method;
}

std::string openssl_reason() {
    char text[256] = "no reason given";
    if (const unsigned long code = ERR_get_error(); code != 0) ERR_error_string_n(code, text, sizeof text);
    ERR_clear_error();
    return text;
}

/// The SSL object writes into the collector while this lives; its own write BIO is put back
/// after. SSL_set0_wbio takes one reference and drops the one it held, so each side's BIO gets
/// a reference first and no BIO is freed by the swaps.
class CollectorInPlace {
public:
    CollectorInPlace(SSL* ssl, BIO* collector) : ssl_(ssl), own_(SSL_get_wbio(ssl)) {
        if (!own_ || BIO_up_ref(own_) != 1) throw Error(ErrorKind::failed, "OpenSSL: the TLS connection has no write BIO to stand in for");
        if (BIO_up_ref(collector) != 1) {
            BIO_free(own_);
            throw Error(ErrorKind::failed, "OpenSSL: cannot hold the TLS record collector");
        }
        SSL_set0_wbio(ssl_, collector);
    }
    ~CollectorInPlace() { SSL_set0_wbio(ssl_, own_); }
    CollectorInPlace(const CollectorInPlace&) = delete;
    CollectorInPlace& operator=(const CollectorInPlace&) = delete;

private:
    SSL* ssl_;
    BIO* own_;
};

}  // namespace

TlsBulkWriter::TlsBulkWriter() : collector_(BIO_new(collecting_method())) {
    if (!collector_) throw Error(ErrorKind::failed, "OpenSSL: out of memory for a TLS record collector");
    BIO_set_data(collector_, &records_);
}

TlsBulkWriter::~TlsBulkWriter() { BIO_free(collector_); }

void TlsBulkWriter::seal(SSL* ssl, boost::asio::const_buffer data) {
    ERR_clear_error();
    const CollectorInPlace in_place(ssl, collector_);
    const auto* bytes = static_cast<const char*>(data.data());
    // Asio asks for partial writes, so SSL_write may seal a record at a time: loop to the end.
    for (std::size_t done = 0; done < data.size();) {
        std::size_t written = 0;
        const std::size_t asked = std::min<std::size_t>(data.size() - done, INT_MAX);
        if (SSL_write_ex(ssl, bytes + done, asked, &written) != 1 || written == 0)
            throw Error(ErrorKind::failed, "TLS: cannot seal a piece of the body: " + openssl_reason());
        done += written;
    }
}

boost::asio::awaitable<void> TlsBulkWriter::write(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream, boost::asio::const_buffer data) {
    records_.clear();
    seal(stream.native_handle(), data);
    co_await boost::asio::async_write(boost::beast::get_lowest_layer(stream), boost::asio::buffer(records_), boost::asio::use_awaitable);
    records_.clear();
}

}  // namespace dagda::net
