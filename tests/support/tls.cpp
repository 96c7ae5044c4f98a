#include "tls.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <cstdio>
#include <ctime>
#include <stdexcept>

namespace heartbeat::test {

self_signed::self_signed(const std::string& dir, const std::vector<std::string>& names,
                         std::chrono::seconds not_before, std::chrono::seconds not_after) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    if (!key) throw std::runtime_error("EVP_EC_gen");
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), static_cast<long>(not_before.count()));
    X509_gmtime_adj(X509_getm_notAfter(x), static_cast<long>(not_after.count()));
    X509_set_pubkey(x, key);
    X509_NAME* subject = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(names.at(0).c_str()), -1, -1,
                               0);
    X509_set_issuer_name(x, subject);
    std::string san;
    for (const auto& n : names) {
        if (!san.empty()) san += ",";
        unsigned char buf[16];
        bool ip =
            inet_pton(AF_INET, n.c_str(), buf) == 1 || inet_pton(AF_INET6, n.c_str(), buf) == 1;
        san += (ip ? "IP:" : "DNS:") + n;
    }
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_subject_alt_name, san},
                              std::pair{NID_basic_constraints, std::string("critical,CA:TRUE")}}) {
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
        X509_add_ext(x, ext, -1);
        X509_EXTENSION_free(ext);
    }
    X509_sign(x, key, EVP_sha256());
    cert_file = dir + "/cert.pem";
    key_file = dir + "/key.pem";
    FILE* f = std::fopen(cert_file.c_str(), "w");
    PEM_write_X509(f, x);
    std::fclose(f);
    f = std::fopen(key_file.c_str(), "w");
    PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(f);
    X509_free(x);
    EVP_PKEY_free(key);
}

std::chrono::sys_seconds self_signed::not_after() const {
    FILE* f = std::fopen(cert_file.c_str(), "r");
    if (!f) throw std::runtime_error("cannot read " + cert_file);
    X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    if (!x) throw std::runtime_error("no certificate in " + cert_file);
    std::tm tm{};
    int ok = ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm);
    X509_free(x);
    if (ok != 1) throw std::runtime_error("unreadable notAfter in " + cert_file);
    return std::chrono::sys_seconds(std::chrono::seconds(timegm(&tm)));
}

struct tls_server::state {
    SSL_CTX* ctx = nullptr;
    mutable std::mutex mutex;
    std::string sni;
    std::string request;
    ~state() { SSL_CTX_free(ctx); }
};

tls_server::tls_server(const self_signed& cert, std::string reply, const std::string& client_ca)
    : state_(std::make_shared<state>()) {
    state_->ctx = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_file(state_->ctx, cert.cert_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(state_->ctx, cert.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
        throw std::runtime_error("tls_server: cannot load the certificate");
    if (!client_ca.empty()) {
        if (SSL_CTX_load_verify_locations(state_->ctx, client_ca.c_str(), nullptr) != 1)
            throw std::runtime_error("tls_server: cannot load the client CA");
        SSL_CTX_set_verify(state_->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
    auto st = state_;
    server_ = std::make_unique<scripted_server>([st, reply](int fd) {
        // OpenSSL writes with write(2): a client that hung up (a check that only shakes hands)
        // would kill the test program with SIGPIPE. Blocked in this thread, it becomes EPIPE.
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
        timeval tv{5, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        SSL* ssl = SSL_new(st->ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_accept(ssl) == 1) {
            const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
            std::string got;
            char buf[4096];
            while (got.find("\r\n\r\n") == std::string::npos) {
                int n = SSL_read(ssl, buf, sizeof buf);
                if (n <= 0) break;
                got.append(buf, static_cast<std::size_t>(n));
            }
            {
                std::lock_guard lock(st->mutex);
                st->sni = name ? name : "";
                st->request = got;
            }
            SSL_write(ssl, reply.data(), static_cast<int>(reply.size()));
            SSL_shutdown(ssl);
        }
        SSL_free(ssl);
        ERR_clear_error();
    });
}

tls_server::~tls_server() {
    server_.reset();
}

std::string tls_server::last_sni() const {
    std::lock_guard lock(state_->mutex);
    return state_->sni;
}

std::string tls_server::last_request() const {
    std::lock_guard lock(state_->mutex);
    return state_->request;
}

}  // namespace heartbeat::test
