//! The app over real HTTP: the full router on a free port, a cookie-keeping
//! client, and a database of each backend per test.

use std::net::SocketAddr;
use std::sync::Arc;

use clap::Parser as _;
use leptos::config::LeptosOptions;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::server::app_router::{self, SESSION_COOKIE};
use crate::server::config::{Cli, Config};
use crate::server::crypto::Keyring;
use crate::server::provider::Providers;
use crate::server::state::AppState;
use crate::server::store::testing::{TestDb, on_both_backends};
use crate::server::sync::{SyncEngine, SyncSettings};

const PASSWORD: &str = "correct horse battery";

on_both_backends!(
    sign_up_in_and_out_over_json,
    errors_are_clear_and_do_not_reveal_accounts,
    session_id_rotates_at_sign_in,
    passwords_are_only_stored_hashed,
    sign_in_is_rate_limited_per_client_and_per_account,
    registration_is_rate_limited,
    cross_site_writes_are_refused,
    health_reports_the_database,
    pages_render_on_the_server,
);

/// The app running on 127.0.0.1:<free port>.
struct TestApp {
    base: String,
    client: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestApp {
    async fn start(db: &TestDb, tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = Cli::try_parse_from(["tributary"]).expect("defaults").config;
        config.login_limit = 1000;
        config.register_limit = 1000;
        tweak(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let leptos_options = LeptosOptions::builder().output_name("tributary").site_addr(addr).build();
        let keyring = Arc::new(Keyring::generate(1));
        let sync = SyncEngine::new(db.store(), keyring.clone(), Providers::default(), SyncSettings::default());
        let state =
            AppState { leptos_options, config: Arc::new(config), store: db.store(), keyring, sandbox: None, sync };
        let app = app_router::build(state);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await;
        });
        Self { base: format!("http://{addr}"), client: Self::client(), server }
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.client.post(self.url(path)).json(&body).send().await.expect("request")
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }
}

fn email() -> String {
    format!("http-{}@example.com", uuid::Uuid::new_v4().simple())
}

async fn error_of(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let body: Value = res.json().await.expect("json error body");
    (status, body["error"].clone())
}

async fn sign_up_in_and_out_over_json(db: &TestDb) {
    let app = TestApp::start(db, |_| {}).await;
    let address = email();
    assert_eq!(app.get("/api/me").await.status(), StatusCode::UNAUTHORIZED);

    let res = app.post("/api/auth/register", json!({ "email": address, "password": PASSWORD })).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["user"]["email"], json!(address));

    let me: Value = app.get("/api/me").await.json().await.expect("json");
    assert_eq!(me["user"]["email"], json!(address));

    assert_eq!(app.post("/api/auth/logout", json!({})).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/me").await.status(), StatusCode::UNAUTHORIZED);

    let res = app.post("/api/auth/login", json!({ "email": address.to_uppercase(), "password": PASSWORD })).await;
    assert_eq!(res.status(), StatusCode::OK, "emails match in any case");
    assert_eq!(app.get("/api/me").await.status(), StatusCode::OK);

    let user_id = me["user"]["id"].as_str().expect("id").parse().expect("uuid");
    let actions: Vec<String> =
        db.store().audit_for_user(user_id, 10).await.expect("audit").into_iter().map(|e| e.action).collect();
    assert_eq!(actions, ["login", "logout", "login", "register"]);
}

async fn errors_are_clear_and_do_not_reveal_accounts(db: &TestDb) {
    let app = TestApp::start(db, |_| {}).await;
    let address = email();
    let (status, err) =
        error_of(app.post("/api/auth/register", json!({ "email": address, "password": "short" })).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(err["field"], "password");
    assert_eq!(err["message"], "Use at least 10 characters for your password.");

    let (status, err) =
        error_of(app.post("/api/auth/register", json!({ "email": "nope", "password": PASSWORD })).await).await;
    assert_eq!((status, err["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("email")));
    let (status, err) = error_of(app.post("/api/auth/register", json!({ "email": address })).await).await;
    assert_eq!((status, err["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("password")));
    let (status, _) = error_of(
        app.client
            .post(app.url("/api/auth/login"))
            .header("content-type", "application/json")
            .body("{")
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    assert_eq!(
        app.post("/api/auth/register", json!({ "email": address, "password": PASSWORD })).await.status(),
        StatusCode::CREATED
    );
    let other = TestApp { base: app.base.clone(), client: TestApp::client(), server: tokio::spawn(async {}) };
    let (status, err) = error_of(
        other.post("/api/auth/register", json!({ "email": address.to_uppercase(), "password": PASSWORD })).await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(err["message"], "An account with this email already exists. Sign in instead.");

    let (wrong_status, wrong) =
        error_of(other.post("/api/auth/login", json!({ "email": address, "password": "wrong password" })).await).await;
    let (unknown_status, unknown) =
        error_of(other.post("/api/auth/login", json!({ "email": email(), "password": PASSWORD })).await).await;
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!((wrong_status, &wrong), (unknown_status, &unknown), "the same answer whether the email exists or not");
    assert_eq!(wrong["message"], "Wrong email or password.");
}

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{SESSION_COOKIE}=")))
        .map(str::to_owned)
}

async fn session_id_rotates_at_sign_in(db: &TestDb) {
    let app = TestApp::start(db, |_| {}).await;
    let address = email();
    let res = app.post("/api/auth/register", json!({ "email": address, "password": PASSWORD })).await;
    let first = session_cookie(&res).expect("a session cookie");
    assert!(first.contains("HttpOnly") && first.contains("SameSite=Lax"), "{first}");
    assert!(!first.contains("Secure"), "plain-http localhost cookies are not Secure: {first}");

    let res = app.post("/api/auth/login", json!({ "email": address, "password": PASSWORD })).await;
    let second = session_cookie(&res).expect("a new session cookie");
    let id = |c: &str| c.split(';').next().unwrap_or_default().to_owned();
    assert_ne!(id(&first), id(&second), "the session id changes at sign-in");

    // The old id no longer signs anyone in.
    let stale = reqwest::Client::new()
        .get(app.url("/api/me"))
        .header(reqwest::header::COOKIE, id(&first))
        .send()
        .await
        .expect("request");
    assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/me").await.status(), StatusCode::OK);

    let secure = TestApp::start(db, |c| c.base_url = "https://money.example.com".parse().expect("url")).await;
    let res = secure
        .client
        .post(secure.url("/api/auth/login"))
        .header("origin", "https://money.example.com")
        .json(&json!({ "email": address, "password": PASSWORD }))
        .send()
        .await
        .expect("request");
    assert!(session_cookie(&res).expect("cookie").contains("Secure"), "https deployments get Secure cookies");
}

async fn passwords_are_only_stored_hashed(db: &TestDb) {
    let app = TestApp::start(db, |_| {}).await;
    let address = email();
    app.post("/api/auth/register", json!({ "email": address, "password": PASSWORD })).await;
    let record = db.store().user_by_email(&address).await.expect("lookup").expect("exists");
    assert!(record.password_hash.starts_with("$argon2id$"), "argon2id");
    assert!(!record.password_hash.contains(PASSWORD));
    assert_eq!(
        db.count(
            "select count(*) from audit_log where detail like $1 or user_agent like $1",
            &[crate::server::store::testing::Val::Text("%correct horse%".into())]
        )
        .await,
        0
    );
}

async fn sign_in_is_rate_limited_per_client_and_per_account(db: &TestDb) {
    let app = TestApp::start(db, |c| {
        c.login_limit = 3;
        c.trust_proxy = true;
    })
    .await;
    let address = email();
    app.post("/api/auth/register", json!({ "email": address, "password": PASSWORD })).await;
    let attempt = |ip: &'static str, who: String| {
        app.client
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-for", ip)
            .json(&json!({ "email": who, "password": "wrong password" }))
            .send()
    };
    // One client, many accounts: the per-client limit.
    for _ in 0..3 {
        assert_eq!(attempt("198.51.100.1", email()).await.expect("send").status(), StatusCode::UNAUTHORIZED);
    }
    let res = attempt("198.51.100.1", email()).await.expect("send");
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = res.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=900).contains(&retry), "{retry}");
    let (_, err) = error_of(res).await;
    assert!(err["message"].as_str().expect("text").starts_with("Too many attempts. Try again in"), "{err}");

    // One account, many clients: the per-account limit.
    for ip in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        assert_eq!(attempt(ip, address.clone()).await.expect("send").status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(attempt("203.0.113.4", address.clone()).await.expect("send").status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn registration_is_rate_limited(db: &TestDb) {
    let app = TestApp::start(db, |c| c.register_limit = 2).await;
    for _ in 0..2 {
        assert_eq!(
            app.post("/api/auth/register", json!({ "email": email(), "password": PASSWORD })).await.status(),
            StatusCode::CREATED
        );
    }
    let res = app.post("/api/auth/register", json!({ "email": email(), "password": PASSWORD })).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn cross_site_writes_are_refused(db: &TestDb) {
    let app = TestApp::start(db, |_| {}).await;
    let body = json!({ "email": email(), "password": PASSWORD });
    let res = app
        .client
        .post(app.url("/api/auth/register"))
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .client
        .post(app.url("/api/auth/register"))
        .header("sec-fetch-site", "cross-site")
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .client
        .post(app.url("/api/auth/register"))
        .header("origin", app.base.clone())
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), StatusCode::CREATED, "same-origin writes pass");
    assert!(db.store().user_by_email(body["email"].as_str().expect("email")).await.expect("lookup").is_some());
}

async fn health_reports_the_database(db: &TestDb) {
    let app = TestApp::start(db, |_| {}).await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    db.close().await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::SERVICE_UNAVAILABLE);
}

async fn pages_render_on_the_server(db: &TestDb) {
    let app = TestApp::start(db, |_| {}).await;
    let res = app.get("/login").await;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"].to_str().expect("ascii").to_owned();
    let nonce = csp.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).expect("a nonce in the CSP").to_owned();
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    let html = res.text().await.expect("html");
    assert!(html.contains("<h1>Sign in</h1>"), "server-rendered form");
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "inline scripts carry the CSP nonce");
    assert!(html.contains("Sandbox"), "sandbox badge without provider keys");

    let res = app.get("/no/such/page").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.text().await.expect("html").contains("Page not found"));

    // Signed out, a browser asking for the dashboard is sent to sign in.
    let res = app.client.get(app.url("/")).header("accept", "text/html").send().await.expect("request");
    let status = res.status();
    let location = res.headers().get("location").cloned();
    assert!(status.is_redirection(), "{status}");
    assert_eq!(location.expect("location"), "/login");

    app.post("/api/auth/register", json!({ "email": email(), "password": PASSWORD })).await;
    let res = app.get("/").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("html");
    assert!(html.contains("Connect your first bank"), "the empty dashboard invites to connect a bank");
}
