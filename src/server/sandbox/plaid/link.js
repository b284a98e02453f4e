/*
 * Tributary — Plaid Link emulation for the local sandbox.
 *
 * Served at {base}/link-initialize.js (e.g. /sandbox/plaid/link-initialize.js).
 * It defines window.Plaid like Plaid's own script (Plaid.create(config) →
 * {open, exit, submit, destroy}, Plaid.version) and renders an accessible
 * modal that talks to the sandbox's internal endpoints under {base}/__link/.
 *
 * Plain ES2019, no dependencies, no build step. CSP friendly: the DOM is
 * built with createElement/textContent/addEventListener only (no inline
 * scripts, no eval, no event-handler attributes); the only inline content is
 * one injected <style> element (the page allows 'unsafe-inline' styles) and
 * data: images.
 */
(function () {
  "use strict";

  if (typeof window === "undefined" || typeof document === "undefined") return;
  if (window.Plaid && window.Plaid.__tributarySandbox) return;

  const VERSION = "2.0.0-tributary-sandbox";
  const P = "tributary-plaid-link-";
  const STYLE_ID = P + "style";
  const BASE = scriptBase();

  /** The API base: this script's URL minus the trailing /link-initialize.js. */
  function scriptBase() {
    let src = "";
    const current = document.currentScript;
    if (current && current.src) {
      src = current.src;
    } else {
      const scripts = document.getElementsByTagName("script");
      for (let i = scripts.length - 1; i >= 0; i--) {
        if (/\/link-initialize\.js(?:[?#]|$)/.test(scripts[i].src)) {
          src = scripts[i].src;
          break;
        }
      }
    }
    if (!src) return window.location.origin + "/sandbox/plaid";
    return src.replace(/[?#].*$/, "").replace(/\/link-initialize\.js$/, "");
  }

  // ------------------------------------------------------------------ utils

  let uidCounter = 0;
  function uid(name) {
    uidCounter += 1;
    return P + name + "-" + uidCounter;
  }

  function randomHex(bytes) {
    const buf = new Uint8Array(bytes);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(buf);
    } else {
      for (let i = 0; i < bytes; i++) buf[i] = Math.floor(Math.random() * 256);
    }
    let out = "";
    for (let i = 0; i < buf.length; i++) out += (buf[i] + 0x100).toString(16).slice(1);
    return out;
  }

  function randomUuid() {
    const h = randomHex(16).split("");
    h[12] = "4";
    h[16] = "89ab"[parseInt(h[16], 16) & 3];
    const s = h.join("");
    return s.slice(0, 8) + "-" + s.slice(8, 12) + "-" + s.slice(12, 16) + "-" + s.slice(16, 20) + "-" + s.slice(20);
  }

  function randomRequestId() {
    const chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const hex = randomHex(15);
    let out = "";
    for (let i = 0; i < 15; i++) out += chars[parseInt(hex.substr(i * 2, 2), 16) % chars.length];
    return out;
  }

  /** Calls a user callback; an exception in it must not break the widget. */
  function safeCall(fn, args) {
    if (typeof fn !== "function") return;
    try {
      fn.apply(null, args);
    } catch (e) {
      setTimeout(function () {
        throw e;
      }, 0);
    }
  }

  /** createElement with props: class, text, on{event}, and attributes. */
  function h(tag, props, children) {
    const node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        const value = props[key];
        if (value === null || value === undefined || value === false) return;
        if (key === "class") node.className = value;
        else if (key === "text") node.textContent = value;
        else if (key === "on") {
          Object.keys(value).forEach(function (ev) {
            node.addEventListener(ev, value[ev]);
          });
        } else if (key === "checked" || key === "value") node[key] = value;
        else node.setAttribute(key, value === true ? "" : String(value));
      });
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    if (children === null || children === undefined || children === false) return;
    if (Array.isArray(children)) {
      children.forEach(function (c) {
        append(node, c);
      });
    } else if (typeof children === "string") {
      node.appendChild(document.createTextNode(children));
    } else {
      node.appendChild(children);
    }
  }

  const SVG_NS = "http://www.w3.org/2000/svg";
  function svgIcon(paths, className) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "24");
    svg.setAttribute("height", "24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    if (className) svg.setAttribute("class", className);
    paths.forEach(function (d) {
      const path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", d);
      path.setAttribute("fill", "none");
      path.setAttribute("stroke", "currentColor");
      path.setAttribute("stroke-width", "2");
      path.setAttribute("stroke-linecap", "round");
      path.setAttribute("stroke-linejoin", "round");
      svg.appendChild(path);
    });
    return svg;
  }

  const ICON_CLOSE = ["M6 6l12 12", "M18 6L6 18"];
  const ICON_BACK = ["M15 5l-7 7 7 7"];
  const ICON_CHECK = ["M5 12.5l4.5 4.5L19 7.5"];

  function validColor(c) {
    return typeof c === "string" && /^#[0-9a-fA-F]{6}$/.test(c) ? c : null;
  }

  /** Black or white, whichever reads better on `hex`. */
  function textOn(hex) {
    const r = parseInt(hex.slice(1, 3), 16);
    const g = parseInt(hex.slice(3, 5), 16);
    const b = parseInt(hex.slice(5, 7), 16);
    const lum = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
    return lum > 0.6 ? "#111827" : "#ffffff";
  }

  function logoSrc(logo) {
    if (typeof logo !== "string" || logo === "") return null;
    if (/^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]+$/.test(logo)) return logo;
    if (/^[A-Za-z0-9+/=\s]+$/.test(logo)) return "data:image/png;base64," + logo.replace(/\s+/g, "");
    return null;
  }

  /** The institution's logo, or a coloured initial. Decorative. */
  function institutionMark(inst, large) {
    const cls = P + "mark" + (large ? " " + P + "mark-large" : "");
    const src = logoSrc(inst && inst.logo);
    if (src) {
      const img = h("img", { class: cls + " " + P + "mark-img", src: src, alt: "", width: 40, height: 40 });
      return img;
    }
    const color = validColor(inst && inst.primary_color) || "#475569";
    const name = (inst && inst.name) || "?";
    const mark = h("span", { class: cls, "aria-hidden": "true", text: name.trim().charAt(0).toUpperCase() || "?" });
    mark.style.backgroundColor = color;
    mark.style.color = textOn(color);
    return mark;
  }

  function hostOf(url) {
    if (typeof url !== "string" || url === "") return null;
    try {
      return new URL(url).host.replace(/^www\./, "");
    } catch (e) {
      return null;
    }
  }

  /** The four fields Link hands to onExit / onEvent. */
  function publicError(err) {
    if (!err) return null;
    return {
      error_type: err.error_type || "API_ERROR",
      error_code: err.error_code || "INTERNAL_SERVER_ERROR",
      error_message: err.error_message || "",
      display_message: typeof err.display_message === "string" ? err.display_message : null,
    };
  }

  function errorText(err) {
    return (err && (err.display_message || err.error_message)) || "Something went wrong. Please try again.";
  }

  // -------------------------------------------------------------------- API

  function ApiError(plaidError, requestId) {
    this.name = "ApiError";
    this.plaid = plaidError;
    this.requestId = requestId;
  }

  async function api(method, path, body, signal) {
    const headers = { Accept: "application/json" };
    const init = { method: method, headers: headers, credentials: "same-origin", cache: "no-store", signal: signal };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(BASE + path, init);
    } catch (e) {
      if (e && e.name === "AbortError") throw e;
      throw new ApiError(
        {
          error_type: "API_ERROR",
          error_code: "INTERNAL_SERVER_ERROR",
          error_message: "network error: " + ((e && e.message) || String(e)),
          display_message: "Could not reach the server. Check your connection and try again.",
        },
        null,
      );
    }
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      if (e && e.name === "AbortError") throw e;
      data = null;
    }
    const requestId =
      (data && typeof data.request_id === "string" && data.request_id) || res.headers.get("x-request-id") || null;
    if (!res.ok || !data || typeof data !== "object") {
      const err =
        data && typeof data.error_code === "string"
          ? data
          : {
              error_type: "API_ERROR",
              error_code: "INTERNAL_SERVER_ERROR",
              error_message: "unexpected response (HTTP " + res.status + ")",
              display_message: null,
            };
      throw new ApiError(err, requestId);
    }
    return { data: data, requestId: requestId };
  }

  // ----------------------------------------------------------------- styles

  const CSS = [
    "." + P + "root{",
    "--tpl-bg:#ffffff;--tpl-surface-2:#f1f4f7;--tpl-text:#15202b;--tpl-muted:#5b6672;--tpl-border:#d9dee4;",
    "--tpl-input-border:#8a949e;--tpl-brand:#0f766e;--tpl-brand-strong:#0b5c56;--tpl-brand-contrast:#ffffff;",
    "--tpl-focus:#2563eb;--tpl-danger:#b42318;--tpl-danger-bg:#fef3f2;--tpl-backdrop:rgba(15,23,42,.55);",
    "--tpl-shadow:0 24px 48px rgba(15,23,42,.28);",
    "position:fixed;top:0;right:0;bottom:0;left:0;z-index:2147483000;display:flex;align-items:stretch;",
    "justify-content:center;margin:0;padding:0;color:var(--tpl-text);color-scheme:light;",
    "font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;",
    "font-size:16px;line-height:1.5;text-align:left;letter-spacing:normal;-webkit-text-size-adjust:100%;}",
    "@media (prefers-color-scheme:dark){." + P + "root{",
    "--tpl-bg:#161b22;--tpl-surface-2:#1f262e;--tpl-text:#e6edf3;--tpl-muted:#9aa7b4;--tpl-border:#30363d;",
    "--tpl-input-border:#6e7781;--tpl-brand:#2dd4bf;--tpl-brand-strong:#5eead4;--tpl-brand-contrast:#04201d;",
    "--tpl-focus:#60a5fa;--tpl-danger:#ff8a80;--tpl-danger-bg:#3a1614;--tpl-backdrop:rgba(0,0,0,.7);",
    "--tpl-shadow:0 24px 48px rgba(0,0,0,.6);color-scheme:dark;}}",
    "." + P + "root *,." + P + "root *::before,." + P + "root *::after{box-sizing:border-box;}",
    "." + P + "backdrop{position:absolute;top:0;right:0;bottom:0;left:0;background:var(--tpl-backdrop);}",
    "." + P + "dialog{position:relative;display:flex;flex-direction:column;width:100%;height:100%;",
    "max-width:100%;background:var(--tpl-bg);color:var(--tpl-text);overflow:hidden;outline:none;",
    "overflow-wrap:anywhere;}",
    "@media (min-width:600px){." + P + "root{align-items:center;padding:24px;}",
    "." + P + "dialog{width:420px;height:auto;min-height:420px;max-height:min(720px,100%);border-radius:16px;",
    "box-shadow:var(--tpl-shadow);border:1px solid var(--tpl-border);}}",
    "." + P + "topbar{display:flex;align-items:center;gap:8px;flex:none;min-height:56px;",
    "padding:6px 8px;padding-top:max(6px,env(safe-area-inset-top));border-bottom:1px solid var(--tpl-border);}",
    "." + P + "brand{flex:1;min-width:0;display:flex;align-items:center;justify-content:center;gap:8px;",
    "font-weight:600;font-size:.95rem;}",
    "." + P + "brand-name{white-space:nowrap;overflow:hidden;text-overflow:ellipsis;}",
    "." + P + "tag{flex:none;font-size:.7rem;font-weight:700;text-transform:uppercase;letter-spacing:.04em;",
    "padding:2px 8px;border-radius:999px;background:var(--tpl-surface-2);color:var(--tpl-muted);}",
    "." + P + "icon-btn{flex:none;display:inline-flex;align-items:center;justify-content:center;width:44px;",
    "height:44px;margin:0;padding:0;border:0;border-radius:10px;background:transparent;color:var(--tpl-text);",
    "cursor:pointer;font:inherit;}",
    "." + P + "icon-btn:hover{background:var(--tpl-surface-2);}",
    "." + P + "icon-btn[hidden]{display:inline-flex;visibility:hidden;}",
    "." + P + "body{flex:1 1 auto;min-height:0;overflow-y:auto;overscroll-behavior:contain;",
    "padding:24px 20px;padding-bottom:max(24px,env(safe-area-inset-bottom));}",
    "." + P + "view[hidden]{display:none;}",
    "." + P + "title{margin:0 0 8px;font-size:1.375rem;line-height:1.25;font-weight:700;color:var(--tpl-text);}",
    "." + P + "title:focus{outline:none;}",
    "." + P + "lead{margin:0 0 20px;color:var(--tpl-muted);}",
    "." + P + "inst{display:flex;align-items:center;gap:12px;margin:0 0 16px;}",
    "." + P + "inst-name{font-weight:600;}",
    "." + P + "mark{flex:none;display:inline-flex;align-items:center;justify-content:center;width:40px;",
    "height:40px;border-radius:10px;font-weight:700;font-size:1.1rem;line-height:1;overflow:hidden;}",
    "." + P + "mark-img{object-fit:contain;background:#ffffff;border:1px solid var(--tpl-border);}",
    "." + P + "mark-large{width:48px;height:48px;font-size:1.3rem;}",
    "." + P + "field{margin:0 0 16px;}",
    "." + P + "label{display:block;margin:0 0 6px;font-weight:600;font-size:.95rem;}",
    "." + P + "input{display:block;width:100%;min-height:48px;margin:0;padding:10px 12px;font:inherit;",
    "font-size:16px;color:var(--tpl-text);background:var(--tpl-bg);border:1px solid var(--tpl-input-border);",
    "border-radius:10px;-webkit-appearance:none;appearance:none;}",
    "." + P + "input[aria-invalid='true']{border-color:var(--tpl-danger);}",
    "." + P + "root :focus-visible{outline:3px solid var(--tpl-focus);outline-offset:2px;}",
    "." + P + "input:focus-visible{outline-offset:0;}",
    "." + P + "btn{display:flex;align-items:center;justify-content:center;gap:8px;width:100%;min-height:48px;",
    "margin:0;padding:10px 16px;font:inherit;font-weight:600;border-radius:10px;cursor:pointer;",
    "border:1px solid transparent;text-decoration:none;}",
    "." + P + "btn-primary{background:var(--tpl-brand);color:var(--tpl-brand-contrast);}",
    "." + P + "btn-primary:hover{background:var(--tpl-brand-strong);}",
    "." + P + "btn-secondary{background:transparent;color:var(--tpl-text);border-color:var(--tpl-border);}",
    "." + P + "btn-secondary:hover{background:var(--tpl-surface-2);}",
    "." + P + "btn-danger{background:var(--tpl-danger);color:var(--tpl-bg);}",
    "." + P + "btn[aria-disabled='true']{opacity:.65;cursor:progress;}",
    "." + P + "btn[aria-disabled='true']::after{content:'';width:16px;height:16px;border-radius:50%;",
    "border:2px solid currentColor;border-right-color:transparent;animation:" + P + "spin .8s linear infinite;}",
    "." + P + "stack{display:grid;gap:12px;margin-top:8px;}",
    "." + P + "hint{margin:16px 0 0;font-size:.875rem;color:var(--tpl-muted);text-align:center;}",
    "." + P + "alert{margin:0 0 16px;padding:10px 12px;border-radius:10px;border-left:4px solid var(--tpl-danger);",
    "background:var(--tpl-danger-bg);color:var(--tpl-text);}",
    "." + P + "code{display:block;margin-top:4px;font-size:.8rem;color:var(--tpl-muted);",
    "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;}",
    "." + P + "status{margin:8px 0;min-height:1.5em;font-size:.875rem;color:var(--tpl-muted);}",
    "." + P + "results{list-style:none;margin:0;padding:0;display:grid;gap:4px;}",
    "." + P + "results[aria-busy='true']{opacity:.6;}",
    "." + P + "result{display:flex;align-items:center;gap:12px;width:100%;min-height:56px;margin:0;",
    "padding:10px 12px;font:inherit;color:var(--tpl-text);text-align:left;background:transparent;",
    "border:1px solid transparent;border-radius:12px;cursor:pointer;}",
    "." + P + "result:hover{background:var(--tpl-surface-2);border-color:var(--tpl-border);}",
    "." + P + "result-text{display:flex;flex-direction:column;min-width:0;}",
    "." + P + "result-name{font-weight:600;}",
    "." + P + "result-url{font-size:.85rem;color:var(--tpl-muted);}",
    "." + P + "fieldset{margin:0 0 16px;padding:0;border:0;min-width:0;}",
    "." + P + "account{display:flex;align-items:center;gap:12px;margin:0 0 8px;padding:12px;",
    "border:1px solid var(--tpl-border);border-radius:12px;cursor:pointer;}",
    "." + P + "account:hover{background:var(--tpl-surface-2);}",
    "." + P + "account input{flex:none;width:20px;height:20px;margin:0;accent-color:var(--tpl-brand);}",
    "." + P + "account-text{display:flex;flex-direction:column;min-width:0;}",
    "." + P + "account-name{font-weight:600;}",
    "." + P + "account-meta{font-size:.85rem;color:var(--tpl-muted);}",
    "." + P + "center{text-align:center;}",
    "." + P + "success-icon{display:flex;align-items:center;justify-content:center;width:64px;height:64px;",
    "margin:8px auto 16px;border-radius:50%;background:var(--tpl-brand);color:var(--tpl-brand-contrast);}",
    "." + P + "success-icon svg{width:36px;height:36px;}",
    "." + P + "spinner{display:block;width:32px;height:32px;margin:32px auto;border-radius:50%;",
    "border:3px solid var(--tpl-border);border-top-color:var(--tpl-brand);animation:" + P + "spin .8s linear infinite;}",
    "." + P + "sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;",
    "clip:rect(0,0,0,0);white-space:nowrap;border:0;}",
    "@keyframes " + P + "spin{to{transform:rotate(360deg);}}",
    "@media (prefers-reduced-motion:reduce){." + P + "root *{animation-duration:2.4s !important;}}",
  ].join("");

  let openModals = 0;

  function acquireStyle() {
    openModals += 1;
    if (document.getElementById(STYLE_ID)) return;
    const style = document.createElement("style");
    style.id = STYLE_ID;
    style.textContent = CSS;
    (document.head || document.documentElement).appendChild(style);
  }

  function releaseStyle() {
    openModals = Math.max(0, openModals - 1);
    if (openModals > 0) return;
    const style = document.getElementById(STYLE_ID);
    if (style && style.parentNode) style.parentNode.removeChild(style);
  }

  const FOCUSABLE =
    "a[href],button:not([disabled]),input:not([disabled]):not([type='hidden']),select:not([disabled])," +
    "textarea:not([disabled]),[tabindex]:not([tabindex='-1'])";

  // ---------------------------------------------------------------- handler

  function create(config) {
    if (!config || typeof config !== "object") throw new TypeError("Plaid.create: a config object is required");
    if (typeof config.onSuccess !== "function") throw new TypeError("Plaid.create: onSuccess is required");

    const token = typeof config.token === "string" ? config.token : "";
    const st = {
      session: null,
      sessionError: null,
      loaded: false,
      destroyed: false,
      openQueued: false,
      queuedInstitutionId: null,
      isOpen: false,
      loadAbort: typeof AbortController === "function" ? new AbortController() : null,
      linkSessionId: randomUuid(),
      requestId: null,
      // per open
      flowAbort: null,
      gen: 0,
      institution: null,
      loginToken: null,
      loginAccounts: [],
      mfa: null,
      completed: null,
      lastError: null,
      status: "institution_not_found",
      viewName: null,
      searchQuery: "",
      busy: false,
      confirming: null,
      // DOM
      root: null,
      dialog: null,
      body: null,
      backBtn: null,
      brandName: null,
      prevFocus: null,
      prevOverflow: null,
    };

    function isUpdate() {
      return !!(st.session && st.session.mode === "update");
    }

    function clientName() {
      return (st.session && st.session.client_name) || "This application";
    }

    function noteRequestId(id) {
      if (id) st.requestId = id;
    }

    function requestId() {
      if (!st.requestId) st.requestId = randomRequestId();
      return st.requestId;
    }

    // ------------------------------------------------------------ events

    function emit(name, extra) {
      const inst = st.institution;
      const meta = {
        error_type: null,
        error_code: null,
        error_message: null,
        exit_status: null,
        institution_id: inst ? inst.institution_id : null,
        institution_name: inst ? inst.name : null,
        institution_search_query: null,
        mfa_type: null,
        view_name: st.viewName,
        selection: null,
        account_number_mask: null,
        routing_number: null,
        match_reason: null,
        timestamp: new Date().toISOString(),
        link_session_id: st.linkSessionId,
        request_id: requestId(),
        is_update_mode: isUpdate(),
      };
      if (extra) {
        Object.keys(extra).forEach(function (k) {
          meta[k] = extra[k];
        });
      }
      safeCall(config.onEvent, [name, meta]);
    }

    function emitError(err) {
      emit("ERROR", {
        error_type: err.error_type || null,
        error_code: err.error_code || null,
        error_message: err.error_message || null,
      });
    }

    // ------------------------------------------------------------ loading

    function load() {
      if (!token) {
        st.sessionError = {
          error_type: "INVALID_INPUT",
          error_code: "INVALID_LINK_TOKEN",
          error_message: "no link token was provided to Plaid.create",
          display_message: null,
        };
        finishLoad();
        return;
      }
      api(
        "GET",
        "/__link/session?token=" + encodeURIComponent(token),
        undefined,
        st.loadAbort ? st.loadAbort.signal : undefined,
      ).then(
        function (r) {
          if (st.destroyed) return;
          st.session = r.data;
          if (typeof r.data.link_session_id === "string" && r.data.link_session_id) {
            st.linkSessionId = r.data.link_session_id;
          }
          noteRequestId(r.requestId);
          finishLoad();
        },
        function (e) {
          if (st.destroyed || (e && e.name === "AbortError")) return;
          st.sessionError = e instanceof ApiError ? e.plaid : publicError({ error_message: String(e) });
          noteRequestId(e && e.requestId);
          finishLoad();
        },
      );
    }

    function finishLoad() {
      st.loaded = true;
      safeCall(config.onLoad, []);
      if (st.openQueued && !st.destroyed) {
        st.openQueued = false;
        doOpen(st.queuedInstitutionId);
      }
    }

    // --------------------------------------------------------- open/close

    function open(institutionId) {
      if (st.destroyed || st.isOpen) return;
      const instId = typeof institutionId === "string" && institutionId ? institutionId : null;
      if (!st.loaded) {
        st.openQueued = true;
        st.queuedInstitutionId = instId;
        return;
      }
      doOpen(instId);
    }

    function doOpen(institutionId) {
      st.gen += 1;
      st.flowAbort = typeof AbortController === "function" ? new AbortController() : null;
      st.institution = null;
      st.loginToken = null;
      st.loginAccounts = [];
      st.mfa = null;
      st.completed = null;
      st.lastError = null;
      st.status = "institution_not_found";
      st.viewName = null;
      st.busy = false;
      st.confirming = null;
      mount();
      emit("OPEN");

      if (st.sessionError) {
        st.lastError = st.sessionError;
        emitError(st.sessionError);
        showFatal(st.sessionError);
      } else if (isUpdate() && st.session.institution) {
        st.institution = st.session.institution;
        showCredentials();
      } else if (institutionId) {
        preselect(institutionId);
      } else {
        showSearch();
      }
    }

    function onKeydown(event) {
      if (!st.isOpen) return;
      if (event.key === "Escape" || event.key === "Esc") {
        event.preventDefault();
        event.stopPropagation();
        userExit();
        return;
      }
      if (event.key !== "Tab") return;
      const items = focusables();
      const active = document.activeElement;
      if (items.length === 0) {
        event.preventDefault();
        st.dialog.focus();
        return;
      }
      const first = items[0];
      const last = items[items.length - 1];
      if (!st.dialog.contains(active)) {
        event.preventDefault();
        (event.shiftKey ? last : first).focus();
      } else if (event.shiftKey && (active === first || active === st.dialog)) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && active === last) {
        event.preventDefault();
        first.focus();
      }
    }

    function onFocusIn(event) {
      if (!st.isOpen || !st.root) return;
      if (event.target instanceof Node && st.root.contains(event.target)) return;
      const items = focusables();
      (items[0] || st.dialog).focus();
    }

    function focusables() {
      if (!st.dialog) return [];
      return Array.prototype.filter.call(st.dialog.querySelectorAll(FOCUSABLE), function (node) {
        return node.getClientRects().length > 0 && !node.closest("[hidden]");
      });
    }

    function mount() {
      st.prevFocus = document.activeElement;
      acquireStyle();

      const brandName = h("span", { class: P + "brand-name", text: clientName() });
      st.brandName = brandName;
      const backBtn = h(
        "button",
        { type: "button", class: P + "icon-btn", "aria-label": "Back", hidden: true, on: { click: goBack } },
        svgIcon(ICON_BACK),
      );
      const closeBtn = h(
        "button",
        { type: "button", class: P + "icon-btn", "aria-label": "Close", on: { click: userExit } },
        svgIcon(ICON_CLOSE),
      );
      const body = h("div", { class: P + "body" });
      const dialog = h(
        "div",
        { class: P + "dialog", role: "dialog", "aria-modal": "true", tabindex: "-1" },
        [
          h("div", { class: P + "topbar" }, [
            backBtn,
            h("div", { class: P + "brand" }, [brandName, h("span", { class: P + "tag", text: "Sandbox" })]),
            closeBtn,
          ]),
          body,
        ],
      );
      const root = h("div", { class: P + "root", "data-link-session-id": st.linkSessionId }, [
        h("div", { class: P + "backdrop", "aria-hidden": "true" }),
        dialog,
      ]);

      st.root = root;
      st.dialog = dialog;
      st.body = body;
      st.backBtn = backBtn;
      (document.body || document.documentElement).appendChild(root);

      st.prevOverflow = document.documentElement.style.overflow;
      document.documentElement.style.overflow = "hidden";
      document.addEventListener("keydown", onKeydown, true);
      document.addEventListener("focusin", onFocusIn, true);
      st.isOpen = true;
    }

    /** Removes the modal; callbacks are the caller's business. */
    function unmount() {
      if (!st.isOpen) return;
      st.isOpen = false;
      st.gen += 1;
      st.busy = false;
      if (st.flowAbort) st.flowAbort.abort();
      st.flowAbort = null;
      document.removeEventListener("keydown", onKeydown, true);
      document.removeEventListener("focusin", onFocusIn, true);
      if (st.root && st.root.parentNode) st.root.parentNode.removeChild(st.root);
      st.root = st.dialog = st.body = st.backBtn = st.brandName = null;
      document.documentElement.style.overflow = st.prevOverflow || "";
      releaseStyle();
      const prev = st.prevFocus;
      st.prevFocus = null;
      if (prev && prev !== document.body && typeof prev.focus === "function" && document.contains(prev)) {
        try {
          prev.focus({ preventScroll: true });
        } catch (e) {
          /* ignore */
        }
      }
    }

    function finishExit(error) {
      if (!st.isOpen) return;
      if (st.completed) {
        finishSuccess();
        return;
      }
      const err = publicError(error || null);
      const inst = st.institution;
      const metadata = {
        institution: inst ? { name: inst.name, institution_id: inst.institution_id } : null,
        status: st.status,
        link_session_id: st.linkSessionId,
        request_id: requestId(),
      };
      const extra = { exit_status: st.status };
      if (err) {
        extra.error_type = err.error_type;
        extra.error_code = err.error_code;
        extra.error_message = err.error_message;
      }
      emit("EXIT", extra);
      unmount();
      safeCall(config.onExit, [err, metadata]);
    }

    function finishSuccess() {
      if (!st.isOpen || !st.completed) return;
      const c = st.completed;
      const inst = c.institution || (st.institution ? st.institution : null);
      const metadata = {
        institution: inst ? { name: inst.name, institution_id: inst.institution_id } : null,
        accounts: (c.accounts || []).map(function (a) {
          return {
            id: a.id,
            name: a.name,
            mask: a.mask === undefined ? null : a.mask,
            type: a.type,
            subtype: a.subtype,
            verification_status: a.verification_status === undefined ? null : a.verification_status,
            class_type: a.class_type === undefined ? null : a.class_type,
          };
        }),
        link_session_id: c.link_session_id || st.linkSessionId,
        transfer_status: null,
      };
      emit("HANDOFF", { view_name: "CONNECTED" });
      unmount();
      safeCall(config.onSuccess, [c.public_token, metadata]);
    }

    /** Escape, the Close button and the error view's Exit button. */
    function userExit() {
      finishExit(st.lastError);
    }

    function exit(opts) {
      if (st.destroyed) return;
      if (!st.isOpen) {
        st.openQueued = false;
        return;
      }
      if (opts && opts.force) {
        finishExit(st.lastError);
      } else if (st.completed) {
        finishSuccess();
      } else {
        showConfirm();
      }
    }

    function destroy() {
      if (st.destroyed) return;
      unmount();
      st.destroyed = true;
      st.openQueued = false;
      if (st.loadAbort) st.loadAbort.abort();
    }

    // ------------------------------------------------------------- views

    /** Replaces the view. `focus` is the element to focus (default: heading). */
    function showView(viewName, status, node, focus, canGoBack) {
      if (!st.isOpen) return;
      st.confirming = null;
      st.busy = false;
      st.viewName = viewName;
      if (status) st.status = status;
      st.body.textContent = "";
      st.body.scrollTop = 0;
      st.body.appendChild(node);
      labelDialog(node);
      st.backBtn.hidden = !canGoBack;
      (focus || node.querySelector("." + P + "title") || st.dialog).focus();
      emit("TRANSITION_VIEW", { view_name: viewName });
    }

    function labelDialog(view) {
      const title = view.querySelector("." + P + "title");
      if (title) st.dialog.setAttribute("aria-labelledby", title.id);
    }

    function title(text) {
      return h("h2", { class: P + "title", id: uid("title"), tabindex: "-1", text: text });
    }

    function view(children) {
      return h("div", { class: P + "view" }, children);
    }

    function goBack() {
      if (!st.isOpen || st.busy || st.confirming) return;
      if (st.viewName === "CREDENTIAL" && !isUpdate()) {
        st.institution = null;
        st.lastError = null;
        showSearch();
      }
    }

    /** Marks a request in flight on `button`; returns a "still current" check. */
    function startBusy(button) {
      st.busy = true;
      if (button) button.setAttribute("aria-disabled", "true");
      const gen = st.gen;
      return {
        signal: st.flowAbort ? st.flowAbort.signal : undefined,
        current: function () {
          return st.isOpen && st.gen === gen;
        },
        done: function () {
          if (st.gen !== gen) return;
          st.busy = false;
          if (button) button.removeAttribute("aria-disabled");
        },
      };
    }

    /** An alert slot: set(text) shows a role=alert message, clear() hides it. */
    function alertSlot() {
      const slot = h("div");
      return {
        node: slot,
        set: function (text, code) {
          slot.textContent = "";
          slot.appendChild(
            h("div", { class: P + "alert", role: "alert" }, [
              h("span", { text: text }),
              code ? h("span", { class: P + "code", text: code }) : null,
            ]),
          );
        },
        clear: function () {
          slot.textContent = "";
        },
      };
    }

    function field(labelText, input) {
      const id = uid("input");
      input.id = id;
      return h("div", { class: P + "field" }, [h("label", { class: P + "label", for: id, text: labelText }), input]);
    }

    function institutionHeader(inst) {
      return h("div", { class: P + "inst" }, [
        institutionMark(inst, true),
        h("span", { class: P + "inst-name", text: inst.name }),
      ]);
    }

    function handleFlowError(e, ctx, alert, retryFocus) {
      if (e && e.name === "AbortError") return;
      if (!ctx.current()) return;
      const err = e instanceof ApiError ? e.plaid : publicError({ error_message: String(e) });
      noteRequestId(e && e.requestId);
      st.lastError = publicError(err);
      emitError(err);
      ctx.done();
      if (err.error_code === "INVALID_LINK_TOKEN") {
        // The link token expired or was used meanwhile: nothing to retry.
        showFatal(err);
        return;
      }
      alert.set(errorText(err), err.error_code);
      if (retryFocus) retryFocus.focus();
    }

    // (1) institution search
    function showSearch() {
      const titleNode = title("Select your institution");
      const listId = uid("results");
      const input = h("input", {
        type: "search",
        class: P + "input",
        autocomplete: "off",
        autocapitalize: "off",
        spellcheck: "false",
        enterkeyhint: "search",
        "aria-controls": listId,
        value: st.searchQuery,
      });
      const status = h("p", { class: P + "status", role: "status" });
      const list = h("ul", { class: P + "results", id: listId, role: "list", "aria-label": "Institutions" });
      const alert = alertSlot();
      let seq = 0;
      let timer = null;

      function render(institutions, query) {
        list.textContent = "";
        institutions.forEach(function (inst) {
          const host = hostOf(inst.url);
          list.appendChild(
            h(
              "li",
              null,
              h(
                "button",
                {
                  type: "button",
                  class: P + "result",
                  "data-institution-id": inst.institution_id,
                  on: {
                    click: function () {
                      selectInstitution(inst);
                    },
                  },
                },
                [
                  institutionMark(inst, false),
                  h("span", { class: P + "result-text" }, [
                    h("span", { class: P + "result-name", text: inst.name }),
                    host ? h("span", { class: P + "result-url", text: host }) : null,
                  ]),
                ],
              ),
            ),
          );
        });
        if (query) {
          status.textContent =
            institutions.length === 0
              ? "No institutions match “" + query + "”."
              : institutions.length + (institutions.length === 1 ? " institution found." : " institutions found.");
        } else {
          status.textContent = institutions.length === 0 ? "No institutions available." : "Popular institutions";
        }
      }

      function search(query) {
        if (!st.isOpen || !list.isConnected) return;
        seq += 1;
        const mine = seq;
        const gen = st.gen;
        st.searchQuery = query;
        if (query) emit("SEARCH_INSTITUTION", { institution_search_query: query, view_name: "SELECT_INSTITUTION" });
        list.setAttribute("aria-busy", "true");
        api(
          "GET",
          "/__link/institutions?token=" + encodeURIComponent(token) + "&query=" + encodeURIComponent(query),
          undefined,
          st.flowAbort ? st.flowAbort.signal : undefined,
        ).then(
          function (r) {
            if (mine !== seq || gen !== st.gen || !st.isOpen || !list.isConnected) return;
            noteRequestId(r.requestId);
            list.removeAttribute("aria-busy");
            alert.clear();
            st.lastError = null;
            render(Array.isArray(r.data.institutions) ? r.data.institutions : [], query);
          },
          function (e) {
            if ((e && e.name === "AbortError") || mine !== seq || gen !== st.gen || !st.isOpen || !list.isConnected) {
              return;
            }
            list.removeAttribute("aria-busy");
            const err = e instanceof ApiError ? e.plaid : publicError({ error_message: String(e) });
            noteRequestId(e && e.requestId);
            st.lastError = publicError(err);
            emitError(err);
            if (err.error_code === "INVALID_LINK_TOKEN") {
              showFatal(err);
              return;
            }
            list.textContent = "";
            status.textContent = "";
            alert.set(errorText(err), err.error_code);
          },
        );
      }

      input.addEventListener("input", function () {
        if (timer) clearTimeout(timer);
        timer = setTimeout(function () {
          timer = null;
          search(input.value.trim());
        }, 200);
      });
      const form = h("form", { role: "search", novalidate: true }, [field("Search institutions", input)]);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (timer) clearTimeout(timer);
        timer = null;
        search(input.value.trim());
      });

      const node = view([
        titleNode,
        h("p", { class: P + "lead", text: clientName() + " uses Plaid to connect your accounts." }),
        form,
        alert.node,
        status,
        list,
      ]);
      showView("SELECT_INSTITUTION", "institution_not_found", node, input, false);
      search(st.searchQuery.trim());
    }

    function selectInstitution(inst) {
      if (!st.isOpen || st.busy) return;
      st.institution = inst;
      st.lastError = null;
      emit("SELECT_INSTITUTION", {
        institution_id: inst.institution_id,
        institution_name: inst.name,
        view_name: "SELECT_INSTITUTION",
      });
      showCredentials();
    }

    /** open(institution_id): skip the search when the sandbox knows the id. */
    function preselect(institutionId) {
      showLoading();
      const gen = st.gen;
      api(
        "GET",
        "/__link/institutions?token=" + encodeURIComponent(token) + "&query=" + encodeURIComponent(institutionId),
        undefined,
        st.flowAbort ? st.flowAbort.signal : undefined,
      )
        .then(function (r) {
          const list = Array.isArray(r.data.institutions) ? r.data.institutions : [];
          const hit = list.filter(function (i) {
            return i.institution_id === institutionId;
          })[0];
          if (hit) return hit;
          return api(
            "GET",
            "/__link/institutions?token=" + encodeURIComponent(token) + "&query=",
            undefined,
            st.flowAbort ? st.flowAbort.signal : undefined,
          ).then(function (r2) {
            const all = Array.isArray(r2.data.institutions) ? r2.data.institutions : [];
            return all.filter(function (i) {
              return i.institution_id === institutionId;
            })[0];
          });
        })
        .catch(function () {
          return null;
        })
        .then(function (hit) {
          if (gen !== st.gen || !st.isOpen) return;
          if (hit) selectInstitution(hit);
          else showSearch();
        });
    }

    function showLoading() {
      const node = view([
        h("h2", { class: P + "title " + P + "sr-only", id: uid("title"), tabindex: "-1", text: "Loading" }),
        h("span", { class: P + "spinner", "aria-hidden": "true" }),
      ]);
      showView("LOADING", null, node, null, false);
    }

    // (2) credentials
    function showCredentials() {
      const inst = st.institution;
      const update = isUpdate();
      const username = h("input", {
        type: "text",
        class: P + "input",
        name: "username",
        autocomplete: "off",
        autocapitalize: "off",
        spellcheck: "false",
      });
      const password = h("input", {
        type: "password",
        class: P + "input",
        name: "password",
        autocomplete: "off",
      });
      const submit = h("button", { type: "submit", class: P + "btn " + P + "btn-primary", text: "Submit" });
      const alert = alertSlot();
      const form = h("form", { novalidate: true }, [
        alert.node,
        field("Username", username),
        field("Password", password),
        submit,
        h("p", { class: P + "hint", text: "Sandbox: user_good / pass_good" }),
      ]);

      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (st.busy) return;
        username.removeAttribute("aria-invalid");
        password.removeAttribute("aria-invalid");
        if (!username.value.trim() || !password.value) {
          const missing = !username.value.trim() ? username : password;
          missing.setAttribute("aria-invalid", "true");
          alert.set("Enter your username and password.");
          missing.focus();
          return;
        }
        const ctx = startBusy(submit);
        emit("SUBMIT_CREDENTIALS", { view_name: "CREDENTIAL" });
        api(
          "POST",
          "/__link/login",
          {
            token: token,
            institution_id: inst.institution_id,
            username: username.value.trim(),
            password: password.value,
          },
          ctx.signal,
        ).then(
          function (r) {
            if (!ctx.current()) return;
            noteRequestId(r.requestId);
            st.lastError = null;
            loginAnswer(r.data, ctx, alert, password);
          },
          function (e) {
            password.value = "";
            password.setAttribute("aria-invalid", "true");
            handleFlowError(e, ctx, alert, password);
          },
        );
      });

      const node = view([
        institutionHeader(inst),
        title(update ? "Log in again to " + inst.name : "Log in to " + inst.name),
        h("p", {
          class: P + "lead",
          text: update
            ? "Your connection to " + inst.name + " needs attention. Enter your credentials to fix it."
            : "Enter the credentials you use for " + inst.name + ".",
        }),
        form,
      ]);
      showView("CREDENTIAL", "requires_credentials", node, username, !update);
    }

    /** The answer of /login or /mfa: on to MFA, accounts, or (update mode) success. */
    function loginAnswer(data, ctx, alert, retryFocus) {
      if (data && typeof data.login_token === "string") st.loginToken = data.login_token;
      if (data && data.status === "mfa") {
        st.mfa = data.mfa || { type: "code", message: null };
        showMfa();
        return;
      }
      if (data && data.status === "ok") {
        st.loginAccounts = Array.isArray(data.accounts) ? data.accounts : [];
        if (isUpdate()) {
          const kept = Array.isArray(st.session.accounts) && st.session.accounts.length ? st.session.accounts : st.loginAccounts;
          complete(
            kept.map(function (a) {
              return a.id;
            }),
            ctx,
            alert,
            retryFocus,
          );
        } else {
          showAccounts();
        }
        return;
      }
      handleFlowError(
        new ApiError(
          {
            error_type: "API_ERROR",
            error_code: "INTERNAL_SERVER_ERROR",
            error_message: "unexpected login answer",
            display_message: null,
          },
          null,
        ),
        ctx,
        alert,
        retryFocus,
      );
    }

    // (3) MFA
    function showMfa() {
      const mfa = st.mfa || {};
      const inst = st.institution;
      const code = h("input", {
        type: "text",
        class: P + "input",
        name: "code",
        inputmode: "numeric",
        autocomplete: "one-time-code",
        spellcheck: "false",
      });
      const submit = h("button", { type: "submit", class: P + "btn " + P + "btn-primary", text: "Submit" });
      const alert = alertSlot();
      const form = h("form", { novalidate: true }, [
        alert.node,
        field("Verification code", code),
        submit,
        h("p", { class: P + "hint", text: "Sandbox: code 1234" }),
      ]);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (st.busy) return;
        code.removeAttribute("aria-invalid");
        if (!code.value.trim()) {
          code.setAttribute("aria-invalid", "true");
          alert.set("Enter the verification code.");
          code.focus();
          return;
        }
        const ctx = startBusy(submit);
        emit("SUBMIT_MFA", { mfa_type: mfa.type || null, view_name: "MFA" });
        api("POST", "/__link/mfa", { token: token, login_token: st.loginToken, code: code.value.trim() }, ctx.signal).then(
          function (r) {
            if (!ctx.current()) return;
            noteRequestId(r.requestId);
            st.lastError = null;
            loginAnswer(r.data, ctx, alert, code);
          },
          function (e) {
            code.value = "";
            code.setAttribute("aria-invalid", "true");
            handleFlowError(e, ctx, alert, code);
          },
        );
      });
      const node = view([
        inst ? institutionHeader(inst) : null,
        title("Enter your verification code"),
        h("p", {
          class: P + "lead",
          text: (typeof mfa.message === "string" && mfa.message) || "Enter the code we sent to your device.",
        }),
        form,
      ]);
      showView("MFA", "requires_code", node, code, false);
    }

    // (4) account selection
    function showAccounts() {
      const accounts = st.loginAccounts;
      const alert = alertSlot();
      const boxes = [];
      const rows = accounts.map(function (a) {
        const box = h("input", { type: "checkbox", name: "account", value: a.id, checked: true });
        boxes.push(box);
        const kind = a.subtype || a.type || "";
        const meta = [kind];
        if (a.mask) {
          if (kind) meta.push(" · ");
          meta.push(h("span", { "aria-hidden": "true", text: "•••• " }));
          meta.push(h("span", { class: P + "sr-only", text: "ending in " }));
          meta.push(String(a.mask));
        }
        return h("label", { class: P + "account" }, [
          box,
          h("span", { class: P + "account-text" }, [
            h("span", { class: P + "account-name", text: a.name || "Account" }),
            kind || a.mask ? h("span", { class: P + "account-meta" }, meta) : null,
          ]),
        ]);
      });
      const submit = h("button", { type: "submit", class: P + "btn " + P + "btn-primary", text: "Continue" });
      const form = h("form", { novalidate: true }, [
        alert.node,
        h("fieldset", { class: P + "fieldset" }, [h("legend", { class: P + "sr-only", text: "Accounts" }), rows]),
        submit,
      ]);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (st.busy) return;
        const ids = boxes
          .filter(function (b) {
            return b.checked;
          })
          .map(function (b) {
            return b.value;
          });
        if (ids.length === 0) {
          alert.set("Select at least one account.");
          if (boxes[0]) boxes[0].focus();
          return;
        }
        complete(ids, startBusy(submit), alert, submit);
      });
      const node = view([
        title("Select accounts"),
        h("p", {
          class: P + "lead",
          text: clientName() + " will only have access to the accounts you select.",
        }),
        form,
      ]);
      showView("SELECT_ACCOUNT", "requires_account_selection", node, null, false);
    }

    function complete(accountIds, ctx, alert, retryFocus) {
      api("POST", "/__link/complete", { token: token, login_token: st.loginToken, account_ids: accountIds }, ctx.signal).then(
        function (r) {
          if (!ctx.current()) return;
          noteRequestId(r.requestId);
          st.lastError = null;
          st.completed = r.data;
          if (typeof r.data.link_session_id === "string" && r.data.link_session_id) {
            st.linkSessionId = r.data.link_session_id;
          }
          showSuccess();
        },
        function (e) {
          handleFlowError(e, ctx, alert, retryFocus);
        },
      );
    }

    // (5) success
    function showSuccess() {
      const c = st.completed;
      const inst = c.institution || st.institution;
      const count = Array.isArray(c.accounts) ? c.accounts.length : 0;
      const text = isUpdate()
        ? "Your connection to " + (inst ? inst.name : "your institution") + " is working again."
        : "Your " +
          (count === 1 ? "account" : count + " accounts") +
          (inst ? " at " + inst.name : "") +
          (count === 1 ? " is" : " are") +
          " now connected to " +
          clientName() +
          ".";
      const cont = h("button", {
        type: "button",
        class: P + "btn " + P + "btn-primary",
        text: "Continue",
        on: { click: finishSuccess },
      });
      const node = view([
        h("div", { class: P + "center" }, [
          h("div", { class: P + "success-icon" }, svgIcon(ICON_CHECK)),
          title("Success"),
          h("p", { class: P + "lead", text: text }),
        ]),
        cont,
      ]);
      showView("CONNECTED", null, node, cont, false);
    }

    // errors Link cannot recover from (e.g. INVALID_LINK_TOKEN)
    function showFatal(err) {
      const exitBtn = h("button", {
        type: "button",
        class: P + "btn " + P + "btn-primary",
        text: "Exit",
        on: { click: userExit },
      });
      const node = view([
        title("Something went wrong"),
        h("div", { class: P + "alert", role: "alert" }, [
          h("span", { text: errorText(err) }),
          h("span", { class: P + "code", text: err.error_code }),
        ]),
        exitBtn,
      ]);
      showView("ERROR", null, node, exitBtn, false);
    }

    // exit() without force: ask first
    function showConfirm() {
      if (!st.isOpen || st.confirming) return;
      const current = st.body.firstChild;
      const previousView = st.viewName;
      const previousBack = !st.backBtn.hidden;
      const returnFocus = document.activeElement;
      const cancelBtn = h("button", {
        type: "button",
        class: P + "btn " + P + "btn-secondary",
        text: "Cancel",
      });
      const exitBtn = h("button", {
        type: "button",
        class: P + "btn " + P + "btn-danger",
        text: "Exit",
        on: { click: userExit },
      });
      const node = view([
        title("Are you sure you want to exit?"),
        h("p", { class: P + "lead", text: "Your progress will not be saved." }),
        h("div", { class: P + "stack" }, [exitBtn, cancelBtn]),
      ]);
      cancelBtn.addEventListener("click", function () {
        if (!st.isOpen || st.confirming !== node) return;
        st.confirming = null;
        if (node.parentNode) node.parentNode.removeChild(node);
        if (current) {
          current.hidden = false;
          labelDialog(current);
        }
        st.backBtn.hidden = !previousBack;
        st.viewName = previousView;
        emit("TRANSITION_VIEW", { view_name: previousView });
        const target =
          returnFocus && st.dialog.contains(returnFocus) ? returnFocus : current && current.querySelector("." + P + "title");
        (target || st.dialog).focus();
      });
      if (current) current.hidden = true;
      st.body.appendChild(node);
      st.confirming = node;
      labelDialog(node);
      st.backBtn.hidden = true;
      st.viewName = "EXIT";
      cancelBtn.focus();
      emit("TRANSITION_VIEW", { view_name: "EXIT" });
    }

    load();

    return {
      open: open,
      exit: exit,
      submit: function () {
        /* Layer only: nothing to submit in the sandbox. */
      },
      destroy: destroy,
    };
  }

  window.Plaid = {
    version: VERSION,
    create: create,
    __tributarySandbox: true,
  };
})();
