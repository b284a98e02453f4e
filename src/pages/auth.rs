//! Sign-in and registration. Plain forms posting to server functions: they
//! work without JavaScript (errors come back in the URL and show in place),
//! and hydrated they submit without a reload.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Redirect};

use crate::app::Auth;
use crate::components::forms::{FormError, PasswordField, error_field, submission_error};
use crate::error::AppError;
use crate::model::SessionInfo;

/// Sends a signed-in visitor to the dashboard.
#[component]
fn RedirectIfSignedIn() -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                matches!(auth.session.await, Ok(SessionInfo { user: Some(_), .. }))
                    .then(|| view! { <Redirect path="/" /> })
            })}
        </Transition>
    }
}

/// `/login`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let error = submission_error(auth.login);
    let email_invalid = Signal::derive(move || matches!(error.get(), Some(AppError::InvalidCredentials)));
    view! {
        <Title text="Sign in" />
        <RedirectIfSignedIn />
        <section class="auth-card">
            <h1>"Sign in"</h1>
            <p class="lede">"Your accounts and transactions, in one place."</p>
            <ActionForm action=auth.login attr:class="form" attr:novalidate=true>
                <FormError error />
                <div class="field">
                    <label for="login-email">"Email"</label>
                    <input id="login-email" name="email" type="email" autocomplete="email" inputmode="email" required
                        aria-invalid=move || email_invalid.get().then_some("true") />
                </div>
                <PasswordField id="login-password" label="Password" autocomplete="current-password" invalid=email_invalid />
                <button type="submit" class="button button-primary button-block" disabled=move || auth.login.pending().get()>
                    {move || if auth.login.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p class="auth-switch">"New here? " <A href="/register">"Create an account"</A></p>
        </section>
    }
}

/// `/register`.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let error = submission_error(auth.register);
    let field = Signal::derive(move || error_field(&error.get()));
    let email_invalid = Signal::derive(move || field.get().as_deref() == Some("email"));
    let password_invalid = Signal::derive(move || field.get().as_deref() == Some("password"));
    view! {
        <Title text="Create account" />
        <RedirectIfSignedIn />
        <section class="auth-card">
            <h1>"Create your account"</h1>
            <p class="lede">"Connect your banks in the US, Canada and Brazil, and see everything in one dashboard."</p>
            <ActionForm action=auth.register attr:class="form" attr:novalidate=true>
                <FormError error />
                <div class="field">
                    <label for="register-email">"Email"</label>
                    <input id="register-email" name="email" type="email" autocomplete="email" inputmode="email" required
                        aria-invalid=move || email_invalid.get().then_some("true") />
                </div>
                <PasswordField
                    id="register-password"
                    label="Password"
                    autocomplete="new-password"
                    hint="At least 10 characters."
                    invalid=password_invalid
                />
                <button type="submit" class="button button-primary button-block" disabled=move || auth.register.pending().get()>
                    {move || if auth.register.pending().get() { "Creating account…" } else { "Create account" }}
                </button>
            </ActionForm>
            <p class="auth-switch">"Already have an account? " <A href="/login">"Sign in"</A></p>
        </section>
    }
}
