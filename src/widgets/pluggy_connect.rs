//! Pluggy Connect: `new window.PluggyConnect({connectToken, includeSandbox,
//! updateItem, onSuccess, onError, onClose}).init()` (PLUGGY.md §8).
//!
//! [`Connect::open`] constructs the widget and awaits `init()`;
//! [`Connect::finished`] resolves on `onSuccess({item})`, or on `onClose()`
//! with the last `onError` message if there was one (the widget lets the
//! user retry after an error, so an error alone does not end it). After
//! `onSuccess` the widget stays on its success screen until the user closes
//! it; dropping the [`Connect`] destroys it and frees the callbacks, so keep
//! it until the next one is opened.

use serde::Deserialize;

#[cfg(feature = "hydrate")]
use super::WidgetError;

/// Where the build puts the real `pluggy-connect-sdk` browser bundle.
pub const LIVE_SCRIPT: &str = "/pluggy-connect.js";
/// The sandbox's emulation of it.
pub const SANDBOX_SCRIPT: &str = "/sandbox/pluggy/pluggy-connect.js";

/// The script to load: the emulation when Pluggy is sandboxed.
pub fn script_url(sandbox: bool) -> &'static str {
    if sandbox { SANDBOX_SCRIPT } else { LIVE_SCRIPT }
}

/// The part of `item.connector` the app reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Connector {
    pub name: String,
}

/// The part of a Pluggy Item the app reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Item {
    pub id: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub connector: Option<Connector>,
}

/// How the widget ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `onSuccess({item})`.
    Success(Item),
    /// `onClose()` before any success; `error` is the last `onError` message.
    Closed { error: Option<String> },
}

/// What to open the widget with.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    /// The connect token from the server.
    pub connect_token: &'a str,
    /// List the sandbox connectors.
    pub include_sandbox: bool,
    /// Update mode: the Item to repair (the token must have been made for it).
    pub update_item: Option<&'a str>,
}

/// Loads Pluggy Connect's script (or its emulation) unless `window.PluggyConnect` exists.
///
/// # Errors
/// [`WidgetError::Load`] when the script cannot be loaded.
pub async fn load(sandbox: bool) -> Result<(), super::WidgetError> {
    super::load_script(script_url(sandbox), "PluggyConnect")
        .await
        .map_err(|()| super::WidgetError::Load("Pluggy Connect"))
}

#[cfg(feature = "hydrate")]
mod csr {
    use std::cell::RefCell;
    use std::rc::Rc;

    use js_sys::{Object, Promise, Reflect};
    use serde::Deserialize;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen_futures::JsFuture;

    use super::{Item, Options, Outcome, WidgetError};
    use crate::widgets::js_message;

    #[wasm_bindgen]
    extern "C" {
        /// `window.PluggyConnect`.
        #[wasm_bindgen(js_name = PluggyConnect)]
        type JsPluggyConnect;

        #[wasm_bindgen(constructor, catch, js_class = PluggyConnect)]
        fn new(props: &Object) -> Result<JsPluggyConnect, JsValue>;

        #[wasm_bindgen(method, catch, js_class = PluggyConnect)]
        fn init(this: &JsPluggyConnect) -> Result<Promise, JsValue>;

        #[wasm_bindgen(method, catch, js_class = PluggyConnect)]
        fn destroy(this: &JsPluggyConnect) -> Result<Promise, JsValue>;
    }

    /// `onSuccess`'s argument.
    #[derive(Deserialize)]
    struct SuccessData {
        item: Item,
    }

    /// `onError`'s argument.
    #[derive(Deserialize)]
    struct ErrorData {
        message: String,
    }

    type Callback = Closure<dyn FnMut(JsValue)>;

    /// An open Pluggy Connect widget and the callbacks it holds.
    pub struct Connect {
        widget: JsPluggyConnect,
        outcome: Rc<RefCell<Option<Outcome>>>,
        done: Promise,
        /// Kept until `destroy()` has settled: the widget may still call them.
        callbacks: Option<[Callback; 3]>,
    }

    impl Connect {
        /// `new PluggyConnect({...})` and `await init()`.
        ///
        /// # Errors
        /// `window.PluggyConnect` is missing, or the widget refused to open.
        pub async fn open(options: Options<'_>) -> Result<Self, WidgetError> {
            let outcome = Rc::new(RefCell::new(None));
            let last_error: Rc<RefCell<Option<String>>> = Rc::new(RefCell::new(None));
            let mut resolve = None;
            let done = Promise::new(&mut |res, _rej| resolve = Some(res));
            let resolve = resolve.expect("the Promise executor runs at once");

            let settle = {
                let outcome = Rc::clone(&outcome);
                move |value: Outcome| {
                    outcome.borrow_mut().get_or_insert(value);
                    let _ = resolve.call0(&JsValue::NULL);
                }
            };
            let on_success: Callback = {
                let settle = settle.clone();
                Closure::new(move |data: JsValue| match serde_wasm_bindgen::from_value::<SuccessData>(data) {
                    Ok(data) => settle(Outcome::Success(data.item)),
                    Err(e) => settle(Outcome::Closed { error: Some(format!("Unexpected answer from Pluggy: {e}")) }),
                })
            };
            let on_error: Callback = {
                let last_error = Rc::clone(&last_error);
                Closure::new(move |data: JsValue| {
                    let message = serde_wasm_bindgen::from_value::<ErrorData>(data)
                        .map_or_else(|_| "Pluggy could not connect this bank.".to_owned(), |d| d.message);
                    *last_error.borrow_mut() = Some(message);
                })
            };
            let on_close: Callback = Closure::new(move |_: JsValue| {
                settle(Outcome::Closed { error: last_error.borrow().clone() });
            });

            let props = Object::new();
            let set = |key: &str, value: &JsValue| Reflect::set(&props, &JsValue::from_str(key), value);
            set("connectToken", &JsValue::from_str(options.connect_token))
                .and_then(|_| set("includeSandbox", &JsValue::from_bool(options.include_sandbox)))
                .and_then(|_| match options.update_item {
                    Some(item) => set("updateItem", &JsValue::from_str(item)),
                    None => Ok(true),
                })
                .and_then(|_| set("onSuccess", on_success.as_ref()))
                .and_then(|_| set("onError", on_error.as_ref()))
                .and_then(|_| set("onClose", on_close.as_ref()))
                .map_err(|e| start_error(&e))?;

            let widget = JsPluggyConnect::new(&props).map_err(|e| start_error(&e))?;
            let connect = Self { widget, outcome, done, callbacks: Some([on_success, on_error, on_close]) };
            let init = connect.widget.init().map_err(|e| start_error(&e))?;
            JsFuture::from(init).await.map_err(|e| start_error(&e))?;
            Ok(connect)
        }

        /// Resolves on `onSuccess`, or on `onClose` before any success.
        pub async fn finished(&self) -> Outcome {
            let _ = JsFuture::from(self.done.clone()).await;
            self.outcome.borrow().clone().unwrap_or(Outcome::Closed { error: None })
        }
    }

    impl Drop for Connect {
        fn drop(&mut self) {
            // `destroy()` is async; a failure to tear down is of no interest,
            // but must not surface as an unhandled rejection.
            let callbacks = self.callbacks.take();
            if let Ok(promise) = self.widget.destroy() {
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = JsFuture::from(promise).await;
                    drop(callbacks);
                });
            }
        }
    }

    fn start_error(e: &JsValue) -> WidgetError {
        WidgetError::Start { widget: "Pluggy Connect", message: js_message(e) }
    }
}

#[cfg(not(feature = "hydrate"))]
mod ssr {
    use super::super::WidgetError;
    use super::{Options, Outcome};

    /// Server stub of the browser's Pluggy Connect widget.
    pub struct Connect;

    impl Connect {
        /// No widgets on the server.
        ///
        /// # Errors
        /// Always [`WidgetError::NoBrowser`].
        #[allow(clippy::unused_async)]
        pub async fn open(_options: Options<'_>) -> Result<Self, WidgetError> {
            Err(WidgetError::NoBrowser)
        }

        /// Never reached on the server.
        #[allow(clippy::unused_async)]
        pub async fn finished(&self) -> Outcome {
            Outcome::Closed { error: None }
        }
    }
}

#[cfg(feature = "hydrate")]
pub use csr::Connect;
#[cfg(not(feature = "hydrate"))]
pub use ssr::Connect;
