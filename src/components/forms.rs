//! Form pieces used by the sign-in and registration pages.

use leptos::prelude::*;

use crate::error::AppError;

/// A password input with a Show/Hide button. The button appears once the
/// page has hydrated (it needs JavaScript); the field works without it.
#[component]
pub fn PasswordField(
    id: &'static str,
    label: &'static str,
    autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into)] invalid: Signal<bool>,
) -> impl IntoView {
    let visible = RwSignal::new(false);
    let hydrated = RwSignal::new(false);
    Effect::new(move || hydrated.set(true));
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <div class="password-wrap">
                <input
                    id=id
                    name="password"
                    type=move || if visible.get() { "text" } else { "password" }
                    autocomplete=autocomplete
                    required
                    aria-invalid=move || invalid.get().then_some("true")
                    aria-describedby=hint.map(|_| hint_id.clone())
                />
                <Show when=move || hydrated.get()>
                    <button
                        type="button"
                        class="password-toggle"
                        aria-controls=id
                        aria-pressed=move || visible.get().to_string()
                        on:click=move |_| visible.update(|v| *v = !*v)
                    >
                        {move || if visible.get() { "Hide" } else { "Show" }}
                    </button>
                </Show>
            </div>
            {hint.map(|h| view! { <p class="field-hint" id=format!("{id}-hint")>{h}</p> })}
        </div>
    }
}

/// The message of a failed form submission, announced to screen readers.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <div class="form-error-slot" aria-live="assertive">
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e.to_string()}</p> })}
        </div>
    }
}

/// The error of a JavaScript-free submission of server function `S`, which
/// comes back in the URL (`__path`, `__err`), or else of its last hydrated
/// submission.
pub fn submission_error<S>(action: ServerAction<S>) -> Signal<Option<AppError>>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let from_url = plain_form_error(&[S::PATH]);
    Signal::derive(move || match action.value().get() {
        Some(result) => result.err(),
        None => from_url.get(),
    })
}

/// The error of a JavaScript-free post to one of the server functions at
/// `paths`, which comes back in the URL (`__path`, `__err`).
pub fn plain_form_error(paths: &'static [&'static str]) -> Signal<Option<AppError>> {
    let query = leptos_router::hooks::use_query_map();
    Signal::derive(move || {
        query.with(|q| match (q.get("__path"), q.get("__err")) {
            (Some(path), Some(err)) if paths.contains(&path.as_str()) => {
                Some(leptos::server_fn::error::ServerFnUrlError::<AppError>::decode_err(&err))
            }
            _ => None,
        })
    })
}

/// The field an error is about, if it names one.
pub fn error_field(error: &Option<AppError>) -> Option<String> {
    match error {
        Some(AppError::Validation { field, .. }) => Some(field.clone()),
        Some(AppError::EmailTaken) => Some("email".into()),
        _ => None,
    }
}
