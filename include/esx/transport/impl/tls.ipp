#ifndef ESX_TRANSPORT_IMPL_TLS_IPP
#define ESX_TRANSPORT_IMPL_TLS_IPP

#include <esx/transport/detail/tls.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <ctime>

namespace esx::transport::detail {

ESX_DECL result<std::shared_ptr<boost::asio::ssl::context>> make_client_context(options const& o) {
    namespace ssl = boost::asio::ssl;
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    SSL_CTX* native = ctx->native_handle();
    if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) return ESX_ERROR(error::tls_handshake_failed);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
    // OpenSSL decrypts a record in place and keeps the plaintext (a Key Vault value, a token)
    // in its read buffer until the next record overwrites it; this wipes it once handed over.
    SSL_CTX_set_options(native, SSL_OP_CLEANSE_PLAINTEXT);
    // A pooled connection waits idle most of its life: OpenSSL frees its record buffers (about
    // 34 KiB) whenever they are empty instead of keeping them per connection (wiped first, by
    // the option above), so idle connections cost the controller little.
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    boost::system::error_code ec;
    if (!o.ca_pem.empty()) {
        ctx->add_certificate_authority(boost::asio::buffer(o.ca_pem), ec);
        if (ec) return ESX_ERROR(error::invalid_ca_bundle);
    }
    if (!o.ca_file.empty()) {
        ctx->load_verify_file(o.ca_file, ec);
        if (ec) return ESX_ERROR(error::invalid_ca_bundle);
    }
    if (o.ca_pem.empty() && o.ca_file.empty()) {
        ctx->set_default_verify_paths(ec);
        if (ec) return ESX_ERROR(error::invalid_ca_bundle);
    }
    ctx->set_verify_mode(o.verify_peer ? ssl::verify_peer : ssl::verify_none);
    if (!o.client_certificate_pem.empty() || !o.client_key_pem.empty()) {
        // Half a key pair is a configuration mistake, not "no client certificate".
        if (o.client_certificate_pem.empty() || o.client_key_pem.empty()) return ESX_ERROR(error::invalid_option);
        ctx->use_certificate_chain(boost::asio::buffer(o.client_certificate_pem), ec);
        if (ec) return ESX_ERROR(error::invalid_option);
        auto const key = o.client_key_pem.reveal();
        ctx->use_private_key(boost::asio::buffer(key.data(), key.size()), ssl::context::pem, ec);
        if (ec || SSL_CTX_check_private_key(native) != 1) return ESX_ERROR(error::invalid_option);
    }
    // No session cache of OpenSSL's: it would collect every ticket servers send (two per TLS 1.3
    // connection, each a session holding the peer's certificate chain) for as long as they live.
    // A pool keeps a few per origin instead (`enable_session_resumption`).
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
    return ctx;
}

// The ex_data slot of an SSL that names its connection's session_store (one per program).
ESX_DECL int session_store_index() {
    static int const index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

ESX_DECL bool resumable_now(SSL_SESSION const* s) {
    if (SSL_SESSION_is_resumable(s) != 1) return false;
    auto const issued = SSL_SESSION_get_time(s);
    auto const lifetime = SSL_SESSION_get_timeout(s);
    return std::time(nullptr) < issued + lifetime;
}

// OpenSSL calls it for each session a server issues (a TLS 1.3 ticket arrives after the
// handshake, with the first read); returning 1 keeps the reference it passes.
ESX_DECL int on_new_session(SSL* ssl, SSL_SESSION* s) {
    auto* store = static_cast<session_store*>(SSL_get_ex_data(ssl, session_store_index()));
    if (store == nullptr) return 0;
    store->keep(s);
    return 1;
}

ESX_DECL void session_store::keep(SSL_SESSION* s) noexcept {
    if (count_ == capacity) {
        SSL_SESSION_free(sessions_[0]);
        for (std::size_t i = 1; i < capacity; ++i) sessions_[i - 1] = sessions_[i];
        --count_;
    }
    sessions_[count_++] = s;
}

ESX_DECL SSL_SESSION* session_store::take() noexcept {
    while (count_ > 0) {
        SSL_SESSION* s = sessions_[--count_];
        sessions_[count_] = nullptr;
        if (resumable_now(s)) return s;
        SSL_SESSION_free(s);
    }
    return nullptr;
}

ESX_DECL void session_store::clear() noexcept {
    while (count_ > 0) {
        SSL_SESSION_free(sessions_[--count_]);
        sessions_[count_] = nullptr;
    }
}

ESX_DECL void enable_session_resumption(SSL_CTX* ctx) {
    // The client side of the cache only, and no internal store: sessions go to the callback.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, &on_new_session);
}

ESX_DECL bool offer_session(SSL* ssl, session_store& store) {
    SSL_set_ex_data(ssl, session_store_index(), &store);
    SSL_SESSION* s = store.take();
    if (s == nullptr) return false;
    bool const offered = SSL_set_session(ssl, s) == 1; // takes a reference of its own
    SSL_SESSION_free(s);
    return offered;
}

ESX_DECL bool note_handshake(SSL* ssl, session_store& store) {
    bool const resumed = SSL_session_reused(ssl) == 1;
    if (resumed && SSL_version(ssl) < TLS1_3_VERSION)
        if (SSL_SESSION* s = SSL_get1_session(ssl)) store.keep(s);
    return resumed;
}

ESX_DECL void mark_closed_cleanly(SSL* ssl) noexcept { SSL_set_shutdown(ssl, SSL_get_shutdown(ssl) | SSL_SENT_SHUTDOWN); }

ESX_DECL error_code prepare_connection(SSL* ssl, url_parts const& u, bool verify_peer) {
    bool const ip = is_ip_literal(u.host);
    // SNI carries DNS names only (RFC 6066 forbids IP literals).
    if (!ip && SSL_set_tlsext_host_name(ssl, u.host.c_str()) != 1) return ESX_ERROR(error::tls_handshake_failed);
    if (!verify_peer) return {};
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    int const ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, u.host.c_str())
                      : X509_VERIFY_PARAM_set1_host(param, u.host.c_str(), u.host.size());
    if (ok != 1) return ESX_ERROR(error::tls_handshake_failed);
    return {};
}

ESX_DECL error_code classify_handshake_failure(SSL* ssl, error_code const& ec) {
    switch (SSL_get_verify_result(ssl)) {
    case X509_V_OK: break;
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
    case X509_V_ERR_EMAIL_MISMATCH: return ESX_ERROR(error::tls_hostname_mismatch);
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID: return ESX_ERROR(error::tls_certificate_expired);
    default: return ESX_ERROR(error::tls_untrusted_certificate);
    }
    // A clean verification with an error means the peer went away or spoke something else.
    (void)ec;
    return ESX_ERROR(error::tls_handshake_failed);
}

} // namespace esx::transport::detail

#endif
