//! What the sandboxes' HTTP tests share: a server on a free port and a
//! webhook receiver that keeps what it is sent.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::post;

/// Webhooks received: headers and the raw body, in arrival order.
pub type Received = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// Serves `router` on 127.0.0.1 at a free port; returns its base URL.
pub async fn serve(router: Router) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("http://{addr}"), handle)
}

/// A receiver at `<url>` that records every POST.
pub async fn webhook_receiver() -> (String, Received, tokio::task::JoinHandle<()>) {
    let received: Received = Arc::default();
    let sink = received.clone();
    let router = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: String| {
            let sink = sink.clone();
            async move {
                sink.lock().expect("lock").push((headers, body));
            }
        }),
    );
    let (base, handle) = serve(router).await;
    (format!("{base}/hook"), received, handle)
}
