//! Bindings to the providers' browser widgets: Plaid Link and Pluggy Connect.
//!
//! Both are plain scripts that define a global (`window.Plaid`,
//! `window.PluggyConnect`). They are loaded on demand, when the user asks to
//! connect a bank ([`load_script`]), from the local sandbox when the provider
//! is emulated and from the provider otherwise. The bindings are
//! `wasm-bindgen` imports of those globals; no JavaScript glue of our own.
//!
//! Everything here only works in the browser. The server build gets no-op
//! stubs with the same signatures (they answer [`WidgetError::NoBrowser`]),
//! so pages compile on both sides; pages call these from event handlers only,
//! which never run on the server.

pub mod plaid_link;
pub mod pluggy_connect;

/// Why a widget could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WidgetError {
    /// The widget's script did not load (offline, blocked, 404).
    #[error("The {0} window could not be loaded. Check your connection and try again.")]
    Load(&'static str),
    /// The widget refused to start; the text is the widget's.
    #[error("The {widget} window could not be opened: {message}")]
    Start { widget: &'static str, message: String },
    /// Called outside a browser (a bug: widgets are opened from event handlers).
    #[error("This needs JavaScript in a browser.")]
    NoBrowser,
}

#[cfg(feature = "hydrate")]
mod csr {
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    /// The text of a thrown JavaScript value (an `Error`'s message, or the value).
    pub fn js_message(value: &JsValue) -> String {
        value
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| value.as_string())
            .unwrap_or_else(|| format!("{value:?}"))
    }

    /// Whether `window[name]` is defined.
    pub fn has_global(name: &str) -> bool {
        js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str(name)).is_ok_and(|v| !v.is_undefined())
    }

    /// Loads the classic script at `src` once and resolves when it has run;
    /// at once when `global` is already defined.
    ///
    /// # Errors
    /// The script failed to load.
    pub async fn load_script(src: &str, global: &str) -> Result<(), ()> {
        if has_global(global) {
            return Ok(());
        }
        let document = web_sys::window().and_then(|w| w.document()).ok_or(())?;
        let script: web_sys::HtmlScriptElement =
            document.create_element("script").map_err(|_| ())?.dyn_into().map_err(|_| ())?;
        // The promise's own resolve/reject are the listeners: no closure to
        // keep alive or to free.
        let loaded = js_sys::Promise::new(&mut |resolve, reject| {
            let _ = script.add_event_listener_with_callback("load", &resolve);
            let _ = script.add_event_listener_with_callback("error", &reject);
        });
        script.set_src(src);
        script.set_async(true);
        document.body().ok_or(())?.append_child(&script).map_err(|_| ())?;
        let result = JsFuture::from(loaded).await;
        if result.is_err() || !has_global(global) {
            // Let a later click try again with a fresh element.
            script.remove();
            return Err(());
        }
        Ok(())
    }

    /// Resolves after `ms` milliseconds (`setTimeout`).
    pub async fn sleep(ms: i32) {
        let Some(window) = web_sys::window() else { return };
        let timer = js_sys::Promise::new(&mut |resolve, _reject| {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        });
        let _ = JsFuture::from(timer).await;
    }
}

#[cfg(not(feature = "hydrate"))]
mod ssr {
    /// No scripts on the server.
    ///
    /// # Errors
    /// Always.
    #[allow(clippy::unused_async)]
    pub async fn load_script(_src: &str, _global: &str) -> Result<(), ()> {
        Err(())
    }

    /// No timers on the server: resolves at once.
    #[allow(clippy::unused_async)]
    pub async fn sleep(_ms: i32) {}
}

#[cfg(feature = "hydrate")]
pub(crate) use csr::js_message;
#[cfg(feature = "hydrate")]
pub use csr::{load_script, sleep};
#[cfg(not(feature = "hydrate"))]
pub use ssr::{load_script, sleep};
