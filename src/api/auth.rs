//! Sign-in, registration, sign-out and "who am I" for the pages.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::SessionInfo;

/// The signed-in user (if any) and which providers are sandboxed.
#[server]
pub async fn get_session_info() -> Result<SessionInfo, AppError> {
    use crate::server::{auth, fn_context::FnContext, fn_context::respond};
    respond(async {
        let cx = FnContext::current().await?;
        let user = auth::current_user(&cx.state, &cx.session).await?;
        Ok(SessionInfo { user, sandbox: cx.state.config.sandbox() })
    })
    .await
}

/// Signs in and goes to the dashboard.
#[server]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    use crate::model::Credentials;
    use crate::server::{
        auth,
        fn_context::{FnContext, redirect_plain_form, respond},
    };
    respond(async {
        let cx = FnContext::current().await?;
        auth::login(&cx.state, &cx.session, Credentials { email, password }, &cx.client).await?;
        redirect_plain_form("/");
        Ok(())
    })
    .await
}

/// Creates an account, signs it in and goes to the dashboard.
#[server]
pub async fn register(email: String, password: String) -> Result<(), AppError> {
    use crate::model::Credentials;
    use crate::server::{
        auth,
        fn_context::{FnContext, redirect_plain_form, respond},
    };
    respond(async {
        let cx = FnContext::current().await?;
        auth::register(&cx.state, &cx.session, Credentials { email, password }, &cx.client).await?;
        redirect_plain_form("/");
        Ok(())
    })
    .await
}

/// Signs out and goes to the sign-in page.
#[server]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::{
        auth,
        fn_context::{FnContext, redirect_plain_form, respond},
    };
    respond(async {
        let cx = FnContext::current().await?;
        auth::logout(&cx.state, &cx.session, &cx.client).await?;
        redirect_plain_form("/login");
        Ok(())
    })
    .await
}
