//! The process-wide TLS crypto provider (rustls on `ring`, no C build),
//! installed once before any HTTP client is made: by `main`, and by the
//! registry and engine clients for library users.

/// Installs `ring` as rustls' provider, once; a provider already installed
/// (by the embedding program) is kept.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
