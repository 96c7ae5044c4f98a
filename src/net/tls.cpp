#include "heartbeat/net/tls.hpp"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>

#include "heartbeat/text.hpp"

namespace heartbeat {

namespace asio = boost::asio;

std::shared_ptr<tls_slot> new_tls_slot() {
    return std::make_shared<tls_slot>();
}

std::string use_client_identity(ssl::context& ctx, const client_identity& id) {
    boost::system::error_code ec;
    ctx.use_certificate_chain(asio::buffer(id.cert_pem), ec);
    if (ec) return "the certificate cannot be read: " + describe(ec);
    // An encrypted key would make OpenSSL ask for its passphrase on the terminal: an empty one
    // makes it fail instead.
    ctx.set_password_callback([](std::size_t, ssl::context::password_purpose) { return ""; }, ec);
    ctx.use_private_key(asio::buffer(id.key_pem), ssl::context::pem, ec);
    // OpenSSL tries the key against the certificate as it loads it.
    if (ec && ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH)
        return "the key does not belong to the certificate";
    if (ec)
        return "the key cannot be read (a PEM private key without a passphrase): " + describe(ec);
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
        ERR_clear_error();
        return "the key does not belong to the certificate";
    }
    return "";
}

tls_client make_tls_client(bool verify, const std::optional<std::string>& ca_file,
                           const std::optional<client_identity>& identity) {
    auto tls = std::make_shared<ssl::context>(ssl::context::tls_client);
    tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3);
    if (identity)
        if (auto why = use_client_identity(*tls, *identity); !why.empty())
            return {nullptr, "cannot use the client certificate: " + why};
    if (!verify) {
        tls->set_verify_mode(ssl::verify_none);
        return {std::move(tls), {}};
    }
    boost::system::error_code ec;
    if (ca_file)
        tls->load_verify_file(*ca_file, ec);
    else
        tls->set_default_verify_paths(ec);
    if (ec)
        return {nullptr, fmt::format("cannot load CA certificates{}: {}",
                                     ca_file ? " from " + *ca_file : "", describe(ec))};
    tls->set_verify_mode(ssl::verify_peer);
    return {std::move(tls), {}};
}

tls_client tls_slot::get(bool verify, const std::optional<std::string>& ca_file,
                         const std::optional<client_identity>& identity) {
    std::lock_guard lock(mutex_);
    if (context_ && verify_ == verify && ca_file_ == ca_file && identity_ == identity)
        return {context_, {}};
    auto made = make_tls_client(verify, ca_file, identity);
    context_ = made.context;
    verify_ = verify;
    ca_file_ = ca_file;
    identity_ = identity;
    return made;
}

void expect_peer(SSL* ssl, const std::string& host, bool verify) {
    boost::system::error_code literal_ec;
    asio::ip::make_address(host, literal_ec);
    bool is_literal = !literal_ec;
    if (!is_literal) SSL_set_tlsext_host_name(ssl, host.c_str());  // SNI: names only
    if (!verify) return;
    // The certificate must name the host: a DNS name, or an IP address for a literal.
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    if (is_literal)
        X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    else
        X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
}

std::string tls_error(const boost::system::error_code& ec, SSL* ssl) {
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK)
        return fmt::format("certificate verify failed: {}", X509_verify_cert_error_string(verify));
    if (ec.category() == asio::error::get_ssl_category())
        if (const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value())))
            return reason;
    return ec.message();
}

std::optional<std::chrono::sys_seconds> peer_not_after(SSL* ssl) {
    // get0: no reference taken, the certificate lives as long as the connection.
    X509* cert = SSL_get0_peer_certificate(ssl);
    // After a failed verification OpenSSL keeps the chain the peer sent but names no peer
    // certificate: the leaf is the chain's first.
    if (STACK_OF(X509)* chain = cert ? nullptr : SSL_get_peer_cert_chain(ssl);
        chain && sk_X509_num(chain) > 0)
        cert = sk_X509_value(chain, 0);
    if (!cert) return std::nullopt;
    return asn1_time_point(X509_get0_notAfter(cert));
}

std::optional<std::chrono::sys_seconds> asn1_time_point(const ASN1_TIME* t) {
    using namespace std::chrono;
    // ASN1_TIME_to_tm takes null for "now": never what a certificate says.
    std::tm tm{};
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
    // The calendar of <chrono>, not timegm: no dependence on the process's time zone.
    year_month_day date{year(tm.tm_year + 1900), month(static_cast<unsigned>(tm.tm_mon + 1)),
                        day(static_cast<unsigned>(tm.tm_mday))};
    if (!date.ok()) return std::nullopt;
    return sys_days(date) + hours(tm.tm_hour) + minutes(tm.tm_min) + seconds(tm.tm_sec);
}

std::string rfc3339_seconds(std::chrono::sys_seconds t) {
    using namespace std::chrono;
    auto midnight = floor<days>(t);
    year_month_day date(midnight);
    hh_mm_ss time(t - midnight);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(date.year()),
                       static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                       time.hours().count(), time.minutes().count(), time.seconds().count());
}

}  // namespace heartbeat
