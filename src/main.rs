//! The `tributary` binary: configuration → tracing → store → command.

#[cfg(feature = "ssr")]
#[tokio::main]
async fn main() -> std::process::ExitCode {
    tributary::server::cli::run().await
}

/// The browser build has no binary; `hydrate()` in the library is its entry.
#[cfg(not(feature = "ssr"))]
pub fn main() {}
