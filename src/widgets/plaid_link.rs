//! Plaid Link: `window.Plaid.create({token, onSuccess, onExit, onEvent})`
//! returns a handler with `open()` and `destroy()` (PLAID.md §5).
//!
//! [`Link::create`] makes the handler, [`Link::open`] shows it and
//! [`Link::finished`] resolves with the [`Outcome`] of `onSuccess` or
//! `onExit`, whichever Link calls. Dropping the [`Link`] destroys the handler
//! and frees the callbacks, so keep it until the next one is made.

use serde::Deserialize;

#[cfg(feature = "hydrate")]
use super::WidgetError;

/// Plaid's script; Plaid requires loading it from its CDN, unversioned.
pub const CDN_SCRIPT: &str = "https://cdn.plaid.com/link/v2/stable/link-initialize.js";
/// The sandbox's emulation of that script.
pub const SANDBOX_SCRIPT: &str = "/sandbox/plaid/link-initialize.js";

/// The script to load: the emulation when Plaid is sandboxed.
pub fn script_url(sandbox: bool) -> &'static str {
    if sandbox { SANDBOX_SCRIPT } else { CDN_SCRIPT }
}

/// `metadata.institution`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Institution {
    pub institution_id: String,
    pub name: String,
}

/// One of `metadata.accounts` of `onSuccess`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Account {
    pub id: String,
    pub name: String,
    pub mask: Option<String>,
    #[serde(rename = "type")]
    pub account_type: String,
    #[serde(default)]
    pub subtype: Option<String>,
}

/// The second argument of `onSuccess`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SuccessMetadata {
    pub institution: Option<Institution>,
    #[serde(default)]
    pub accounts: Vec<Account>,
    #[serde(default)]
    pub link_session_id: String,
}

/// The first argument of `onExit`, when Link ended on an error.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LinkError {
    pub error_type: String,
    pub error_code: String,
    pub error_message: String,
    pub display_message: Option<String>,
}

impl LinkError {
    /// What to tell the user: Plaid's display message when it gives one.
    pub fn user_message(&self) -> String {
        self.display_message.clone().filter(|m| !m.trim().is_empty()).unwrap_or_else(|| self.error_message.clone())
    }
}

/// The second argument of `onExit`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExitMetadata {
    pub institution: Option<Institution>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub link_session_id: String,
}

/// How Link ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `onSuccess(public_token, metadata)`; `metadata` is `None` if it could not be read.
    Success { public_token: String, metadata: Option<SuccessMetadata> },
    /// `onExit(error, metadata)`: the user closed Link, or it failed.
    Exit { error: Option<LinkError>, metadata: Option<ExitMetadata> },
}

/// Loads Plaid's script (or its emulation) unless `window.Plaid` exists.
///
/// # Errors
/// [`WidgetError::Load`] when the script cannot be loaded.
pub async fn load(sandbox: bool) -> Result<(), super::WidgetError> {
    super::load_script(script_url(sandbox), "Plaid").await.map_err(|()| super::WidgetError::Load("Plaid"))
}

#[cfg(feature = "hydrate")]
mod csr {
    use std::cell::RefCell;
    use std::rc::Rc;

    use js_sys::{Object, Promise, Reflect};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen_futures::JsFuture;

    use super::{ExitMetadata, LinkError, Outcome, SuccessMetadata, WidgetError};
    use crate::widgets::js_message;

    #[wasm_bindgen]
    extern "C" {
        /// What `Plaid.create` returns.
        type Handler;

        #[wasm_bindgen(catch, js_namespace = Plaid, js_name = create)]
        fn plaid_create(config: &Object) -> Result<Handler, JsValue>;

        #[wasm_bindgen(method, catch)]
        fn open(this: &Handler) -> Result<(), JsValue>;

        #[wasm_bindgen(method, catch)]
        fn destroy(this: &Handler) -> Result<(), JsValue>;
    }

    type Callback = Closure<dyn FnMut(JsValue, JsValue)>;

    /// A Link handler and the callbacks it holds.
    pub struct Link {
        handler: Handler,
        outcome: Rc<RefCell<Option<Outcome>>>,
        done: Promise,
        _callbacks: [Callback; 3],
    }

    impl Link {
        /// `Plaid.create({token, onSuccess, onExit, onEvent})`; `on_event`
        /// gets each event name (`OPEN`, `HANDOFF`, …).
        ///
        /// # Errors
        /// `window.Plaid` is missing or refused the config.
        pub fn create(token: &str, on_event: impl Fn(&str) + 'static) -> Result<Self, WidgetError> {
            let outcome = Rc::new(RefCell::new(None));
            let mut resolve = None;
            let done = Promise::new(&mut |res, _rej| resolve = Some(res));
            let resolve = resolve.expect("the Promise executor runs at once");

            let settle = {
                let outcome = Rc::clone(&outcome);
                move |value: Outcome| {
                    // Link calls exactly one of onSuccess/onExit per open;
                    // keep the first if it ever calls both.
                    outcome.borrow_mut().get_or_insert(value);
                    let _ = resolve.call0(&JsValue::NULL);
                }
            };
            let on_success: Callback = {
                let settle = settle.clone();
                Closure::new(move |token: JsValue, metadata: JsValue| {
                    settle(Outcome::Success {
                        public_token: token.as_string().unwrap_or_default(),
                        metadata: serde_wasm_bindgen::from_value::<SuccessMetadata>(metadata).ok(),
                    });
                })
            };
            let on_exit: Callback = Closure::new(move |error: JsValue, metadata: JsValue| {
                let error = if error.is_null() || error.is_undefined() {
                    None
                } else {
                    serde_wasm_bindgen::from_value::<LinkError>(error).ok()
                };
                settle(Outcome::Exit {
                    error,
                    metadata: serde_wasm_bindgen::from_value::<ExitMetadata>(metadata).ok(),
                });
            });
            let on_event: Callback = Closure::new(move |name: JsValue, _metadata: JsValue| {
                if let Some(name) = name.as_string() {
                    on_event(&name);
                }
            });

            let config = Object::new();
            let set = |key: &str, value: &JsValue| Reflect::set(&config, &JsValue::from_str(key), value);
            set("token", &JsValue::from_str(token))
                .and_then(|_| set("onSuccess", on_success.as_ref()))
                .and_then(|_| set("onExit", on_exit.as_ref()))
                .and_then(|_| set("onEvent", on_event.as_ref()))
                .map_err(|e| start_error(&e))?;
            let handler = plaid_create(&config).map_err(|e| start_error(&e))?;
            Ok(Self { handler, outcome, done, _callbacks: [on_success, on_exit, on_event] })
        }

        /// Shows Link (queued by Link until its session has loaded).
        ///
        /// # Errors
        /// Link threw.
        pub fn open(&self) -> Result<(), WidgetError> {
            self.handler.open().map_err(|e| start_error(&e))
        }

        /// Resolves once Link has called `onSuccess` or `onExit`.
        pub async fn finished(&self) -> Outcome {
            let _ = JsFuture::from(self.done.clone()).await;
            self.outcome.borrow().clone().unwrap_or(Outcome::Exit { error: None, metadata: None })
        }
    }

    impl Drop for Link {
        fn drop(&mut self) {
            let _ = self.handler.destroy();
        }
    }

    fn start_error(e: &JsValue) -> WidgetError {
        WidgetError::Start { widget: "Plaid", message: js_message(e) }
    }
}

#[cfg(not(feature = "hydrate"))]
mod ssr {
    use super::super::WidgetError;
    use super::Outcome;

    /// Server stub of the browser's Link handler.
    pub struct Link;

    impl Link {
        /// No widgets on the server.
        ///
        /// # Errors
        /// Always [`WidgetError::NoBrowser`].
        pub fn create(_token: &str, _on_event: impl Fn(&str) + 'static) -> Result<Self, WidgetError> {
            Err(WidgetError::NoBrowser)
        }

        /// No widgets on the server.
        ///
        /// # Errors
        /// Always [`WidgetError::NoBrowser`].
        pub fn open(&self) -> Result<(), WidgetError> {
            Err(WidgetError::NoBrowser)
        }

        /// Never reached on the server.
        #[allow(clippy::unused_async)]
        pub async fn finished(&self) -> Outcome {
            Outcome::Exit { error: None, metadata: None }
        }
    }
}

#[cfg(feature = "hydrate")]
pub use csr::Link;
#[cfg(not(feature = "hydrate"))]
pub use ssr::Link;
