/*!
 * Tributary: a local emulation of the Pluggy Connect widget (npm `pluggy-connect-sdk`).
 *
 * Served by the Pluggy sandbox at `/sandbox/pluggy/pluggy-connect.js`. It defines
 * `window.PluggyConnect` with the SDK's constructor options and promise-returning
 * methods (`init`, `show`, `hide`, `destroy`) and the same callback payloads, but instead
 * of Pluggy's iframe it renders its own accessible modal and talks to the sandbox API next
 * to this script, with Pluggy's real paths and JSON, authenticated by the connect token
 * (`X-API-KEY`).
 *
 * CSP: no inline scripts, no eval, no inline handlers; elements are built with
 * createElement/textContent and wired with addEventListener. One <style> element is
 * injected (the app allows `style-src 'unsafe-inline'`). Images are only loaded from
 * `data:` or same-origin URLs; other logos fall back to the institution's initials.
 *
 * Plain ES2019, no dependencies.
 */
(function () {
  'use strict';

  if (typeof window === 'undefined' || typeof document === 'undefined') return;

  var PREFIX = 'tributary-pluggy-connect-';
  var POLL_MS = 700;
  var SANDBOX_USER = 'user-ok';
  var SANDBOX_PASSWORD = 'password-ok';
  var SANDBOX_MFA = '123456';

  /** API base: this script's own URL minus its file name, e.g. `http://host/sandbox/pluggy`. */
  var API_BASE = (function () {
    var src = document.currentScript && document.currentScript.src;
    if (!src) {
      var tag = document.querySelector('script[src*="pluggy-connect.js"]');
      src = tag && tag.src;
    }
    if (!src) return window.location.origin + '/sandbox/pluggy';
    var url = new URL(src, window.location.href);
    url.search = '';
    url.hash = '';
    return url.href.replace(/\/[^/]*$/, '');
  })();

  // ---------------------------------------------------------------------------------------
  // Text (Portuguese first, like Pluggy Connect; `language: 'en'` switches to English).
  // Icon-only buttons keep English accessible names ("Close", "Back") in both languages.
  // ---------------------------------------------------------------------------------------

  var TEXT = {
    pt: {
      loadingTitle: 'Conectar conta',
      loading: 'Carregando…',
      listTitle: 'Escolha sua instituição',
      searchLabel: 'Buscar instituição',
      searchPlaceholder: 'Nome da instituição',
      noResults: 'Nenhuma instituição encontrada.',
      results: function (n) {
        return n === 1 ? '1 instituição' : n + ' instituições';
      },
      sandboxTag: 'Sandbox',
      offlineTag: 'Indisponível',
      unstableTag: 'Instável',
      types: {
        PERSONAL_BANK: 'Banco · Pessoa física',
        BUSINESS_BANK: 'Banco · Empresa',
        INVESTMENT: 'Investimentos',
        INVOICE: 'Contas e faturas',
        TELECOMMUNICATION: 'Telecomunicações',
        DIGITAL_ECONOMY: 'Economia digital',
        PAYMENT_ACCOUNT: 'Conta de pagamento',
        OTHER: 'Outros'
      },
      credentialsIntro: function (name) {
        return 'Informe seus dados de acesso ao ' + name + '.';
      },
      updateIntro: function (name) {
        return 'Atualize seus dados de acesso ao ' + name + ' para continuar sincronizando.';
      },
      optional: '(opcional)',
      select: 'Selecione…',
      showSecret: 'Mostrar',
      hideSecret: 'Ocultar',
      connect: 'Conectar',
      sending: 'Enviando…',
      required: 'Preencha este campo.',
      invalid: 'Valor inválido.',
      hintTitle: 'Ambiente de testes (sandbox)',
      hintLogin: ['Use o usuário ', ' e a senha ', '.'],
      hintMfa: ['O código de verificação é ', '.'],
      hintMore: 'Simular falhas',
      hintFailures: [
        ['user-locked', 'conta bloqueada'],
        ['user-error', 'erro inesperado'],
        ['user-unavailable', 'instituição fora do ar'],
        ['outra senha', 'credenciais inválidas']
      ],
      connecting: function (name) {
        return 'Conectando ao ' + name + '…';
      },
      updating: function (name) {
        return 'Atualizando ' + name + '…';
      },
      connectingHelp: 'Isso pode levar alguns segundos. Mantenha esta janela aberta.',
      mfaTitle: 'Verificação de segurança',
      mfaIntro: function (name) {
        return 'O ' + name + ' pediu um código de verificação para continuar.';
      },
      mfaHint: ['Código de teste: ', '.'],
      submit: 'Enviar',
      actionTitle: 'Ação necessária',
      actionWaiting: 'Aguardando sua confirmação…',
      successTitle: 'Conta conectada',
      successText: function (name) {
        return 'Sua conta ' + name + ' foi conectada com sucesso.';
      },
      updatedText: function (name) {
        return 'Sua conta ' + name + ' foi atualizada com sucesso.';
      },
      done: 'Concluir',
      errorTitle: 'Algo deu errado',
      retry: 'Tentar novamente',
      close: 'Fechar',
      footer: 'Emulação local do Pluggy Connect · dados fictícios',
      networkError: 'Não foi possível falar com o servidor. Verifique sua conexão e tente novamente.',
      httpError: function (status) {
        return 'O servidor respondeu com o erro ' + status + '.';
      },
      executionErrors: {
        INVALID_CREDENTIALS: 'Credenciais inválidas. Confira seus dados e tente novamente.',
        INVALID_CREDENTIALS_MFA: 'Código de verificação inválido.',
        ACCOUNT_LOCKED: 'Sua conta está bloqueada na instituição.',
        ACCOUNT_CREDENTIALS_RESET: 'A instituição pede que você redefina sua senha.',
        ACCOUNT_NEEDS_ACTION: 'A instituição pede uma ação na sua conta antes de continuar.',
        ALREADY_LOGGED_IN: 'Já existe uma sessão aberta nessa conta. Tente novamente em alguns minutos.',
        SITE_NOT_AVAILABLE: 'A instituição está fora do ar. Tente novamente mais tarde.',
        CONNECTION_ERROR: 'Falha de conexão com a instituição. Tente novamente.',
        USER_INPUT_TIMEOUT: 'O tempo para informar o código acabou. Tente novamente.',
        USER_AUTHORIZATION_NOT_GRANTED: 'A autorização não foi concedida.',
        USER_NOT_SUPPORTED: 'Este tipo de conta não é suportado.',
        UNEXPECTED_ERROR: 'Ocorreu um erro inesperado. Tente novamente.'
      },
      genericError: 'Não foi possível conectar. Tente novamente.'
    },
    en: {
      loadingTitle: 'Connect an account',
      loading: 'Loading…',
      listTitle: 'Choose your institution',
      searchLabel: 'Search institutions',
      searchPlaceholder: 'Institution name',
      noResults: 'No institutions found.',
      results: function (n) {
        return n === 1 ? '1 institution' : n + ' institutions';
      },
      sandboxTag: 'Sandbox',
      offlineTag: 'Unavailable',
      unstableTag: 'Unstable',
      types: {
        PERSONAL_BANK: 'Bank · Personal',
        BUSINESS_BANK: 'Bank · Business',
        INVESTMENT: 'Investments',
        INVOICE: 'Bills',
        TELECOMMUNICATION: 'Telecom',
        DIGITAL_ECONOMY: 'Digital economy',
        PAYMENT_ACCOUNT: 'Payment account',
        OTHER: 'Other'
      },
      credentialsIntro: function (name) {
        return 'Enter your ' + name + ' login details.';
      },
      updateIntro: function (name) {
        return 'Update your ' + name + ' login details to keep syncing.';
      },
      optional: '(optional)',
      select: 'Select…',
      showSecret: 'Show',
      hideSecret: 'Hide',
      connect: 'Connect',
      sending: 'Sending…',
      required: 'Fill in this field.',
      invalid: 'Invalid value.',
      hintTitle: 'Test environment (sandbox)',
      hintLogin: ['Use the user ', ' and the password ', '.'],
      hintMfa: ['The verification code is ', '.'],
      hintMore: 'Simulate failures',
      hintFailures: [
        ['user-locked', 'account locked'],
        ['user-error', 'unexpected error'],
        ['user-unavailable', 'institution down'],
        ['any other password', 'invalid credentials']
      ],
      connecting: function (name) {
        return 'Connecting to ' + name + '…';
      },
      updating: function (name) {
        return 'Updating ' + name + '…';
      },
      connectingHelp: 'This can take a few seconds. Keep this window open.',
      mfaTitle: 'Security check',
      mfaIntro: function (name) {
        return name + ' asked for a verification code to continue.';
      },
      mfaHint: ['Test code: ', '.'],
      submit: 'Submit',
      actionTitle: 'Action needed',
      actionWaiting: 'Waiting for your confirmation…',
      successTitle: 'Account connected',
      successText: function (name) {
        return 'Your ' + name + ' account is connected.';
      },
      updatedText: function (name) {
        return 'Your ' + name + ' account is up to date.';
      },
      done: 'Done',
      errorTitle: 'Something went wrong',
      retry: 'Try again',
      close: 'Close',
      footer: 'Local emulation of Pluggy Connect · test data',
      networkError: 'Could not reach the server. Check your connection and try again.',
      httpError: function (status) {
        return 'The server answered with error ' + status + '.';
      },
      executionErrors: {
        INVALID_CREDENTIALS: 'Invalid credentials. Check your details and try again.',
        INVALID_CREDENTIALS_MFA: 'Invalid verification code.',
        ACCOUNT_LOCKED: 'Your account is locked at the institution.',
        ACCOUNT_CREDENTIALS_RESET: 'The institution asks you to reset your password.',
        ACCOUNT_NEEDS_ACTION: 'The institution needs you to act on your account first.',
        ALREADY_LOGGED_IN: 'This account already has an open session. Try again in a few minutes.',
        SITE_NOT_AVAILABLE: 'The institution is down. Try again later.',
        CONNECTION_ERROR: 'Could not connect to the institution. Try again.',
        USER_INPUT_TIMEOUT: 'The time to enter the code ran out. Try again.',
        USER_AUTHORIZATION_NOT_GRANTED: 'Authorization was not granted.',
        USER_NOT_SUPPORTED: 'This kind of account is not supported.',
        UNEXPECTED_ERROR: 'An unexpected error happened. Try again.'
      },
      genericError: 'Could not connect. Try again.'
    }
  };

  function pickLanguage(language) {
    var code = typeof language === 'string' ? language.toLowerCase() : '';
    if (code.indexOf('en') === 0) return 'en';
    return 'pt';
  }

  // ---------------------------------------------------------------------------------------
  // Styles
  // ---------------------------------------------------------------------------------------

  var STYLE_ID = PREFIX + 'style';
  // `.tpc-` is replaced by the real class prefix when injected.
  var CSS = [
    '.tpc-lock{overflow:hidden!important}',
    '.tpc-overlay{',
    '--tpc-bg:#ffffff;--tpc-fg:#0f172a;--tpc-muted:#475569;--tpc-field:#64748b;--tpc-line:#e2e8f0;',
    '--tpc-surface:#f8fafc;--tpc-hover:#f1f5f9;--tpc-accent:#d61f4d;--tpc-accent-hover:#b5173f;--tpc-accent-fg:#ffffff;',
    '--tpc-focus:#1d4ed8;--tpc-error-bg:#fef2f2;--tpc-error-fg:#991b1b;--tpc-error-line:#dc2626;',
    '--tpc-hint-bg:#eff6ff;--tpc-hint-fg:#1e3a8a;--tpc-hint-line:#bfdbfe;--tpc-ok:#15803d;--tpc-ok-bg:#dcfce7;',
    '--tpc-backdrop:rgba(15,23,42,.6);color-scheme:light;',
    'position:fixed;top:0;right:0;bottom:0;left:0;z-index:2147483000;display:flex;align-items:center;',
    'justify-content:center;padding:24px;margin:0;background:var(--tpc-backdrop);',
    'font:400 16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;',
    'color:var(--tpc-fg);text-align:left;letter-spacing:normal;-webkit-text-size-adjust:100%;text-size-adjust:100%}',
    '.tpc-overlay[hidden]{display:none!important}',
    '.tpc-overlay *,.tpc-overlay *::before,.tpc-overlay *::after{box-sizing:border-box}',
    '.tpc-theme-dark{',
    '--tpc-bg:#0f172a;--tpc-fg:#f1f5f9;--tpc-muted:#cbd5e1;--tpc-field:#94a3b8;--tpc-line:#334155;',
    '--tpc-surface:#1e293b;--tpc-hover:#273449;--tpc-accent:#ff5c7f;--tpc-accent-hover:#ff8099;--tpc-accent-fg:#0f172a;',
    '--tpc-focus:#93c5fd;--tpc-error-bg:#450a0a;--tpc-error-fg:#fecaca;--tpc-error-line:#f87171;',
    '--tpc-hint-bg:#172554;--tpc-hint-fg:#dbeafe;--tpc-hint-line:#1e40af;--tpc-ok:#4ade80;--tpc-ok-bg:#14532d;',
    '--tpc-backdrop:rgba(2,6,23,.75);color-scheme:dark}',
    '@media (prefers-color-scheme:dark){.tpc-theme-auto{',
    '--tpc-bg:#0f172a;--tpc-fg:#f1f5f9;--tpc-muted:#cbd5e1;--tpc-field:#94a3b8;--tpc-line:#334155;',
    '--tpc-surface:#1e293b;--tpc-hover:#273449;--tpc-accent:#ff5c7f;--tpc-accent-hover:#ff8099;--tpc-accent-fg:#0f172a;',
    '--tpc-focus:#93c5fd;--tpc-error-bg:#450a0a;--tpc-error-fg:#fecaca;--tpc-error-line:#f87171;',
    '--tpc-hint-bg:#172554;--tpc-hint-fg:#dbeafe;--tpc-hint-line:#1e40af;--tpc-ok:#4ade80;--tpc-ok-bg:#14532d;',
    '--tpc-backdrop:rgba(2,6,23,.75);color-scheme:dark}}',
    '.tpc-dialog{position:relative;display:flex;flex-direction:column;width:100%;max-width:420px;',
    'height:640px;max-height:100%;margin:0;padding:0;overflow:hidden;background:var(--tpc-bg);color:var(--tpc-fg);',
    'border-radius:16px;box-shadow:0 24px 64px rgba(0,0,0,.35);outline:none}',
    '.tpc-header{display:flex;align-items:center;gap:4px;flex:none;min-height:60px;padding:8px;',
    'border-bottom:1px solid var(--tpc-line)}',
    '.tpc-title{flex:1 1 auto;min-width:0;margin:0;padding:0 4px;font-size:18px;font-weight:650;line-height:1.3;',
    'color:var(--tpc-fg);text-align:center;overflow-wrap:anywhere;outline:none}',
    '.tpc-icon-button{flex:none;display:inline-flex;align-items:center;justify-content:center;width:44px;height:44px;',
    'margin:0;padding:0;border:0;border-radius:999px;background:transparent;color:var(--tpc-fg);cursor:pointer;font:inherit}',
    '.tpc-icon-button:hover{background:var(--tpc-hover)}',
    '.tpc-icon-button[hidden]{display:inline-flex!important;visibility:hidden}',
    '.tpc-icon-button svg{width:22px;height:22px;fill:none;stroke:currentColor;stroke-width:2.2;stroke-linecap:round;stroke-linejoin:round}',
    '.tpc-body{flex:1 1 auto;min-height:0;overflow-x:hidden;overflow-y:auto;overscroll-behavior:contain;padding:20px}',
    '.tpc-footer{flex:none;margin:0;padding:10px 16px;border-top:1px solid var(--tpc-line);font-size:13px;',
    'line-height:1.4;color:var(--tpc-muted);text-align:center}',
    '.tpc-overlay :focus-visible{outline:3px solid var(--tpc-focus);outline-offset:2px}',
    '.tpc-sr{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}',
    '.tpc-text{margin:0 0 16px;color:var(--tpc-fg)}',
    '.tpc-muted{color:var(--tpc-muted)}',
    '.tpc-center{display:flex;flex-direction:column;align-items:center;justify-content:center;text-align:center;min-height:100%;gap:16px}',
    '.tpc-center .tpc-text{margin:0}',
    '.tpc-spinner{width:44px;height:44px;border-radius:50%;border:4px solid var(--tpc-line);border-top-color:var(--tpc-accent);',
    'animation:tpc-spin .9s linear infinite}',
    '@keyframes tpc-spin{to{transform:rotate(360deg)}}',
    '@media (prefers-reduced-motion:reduce){.tpc-spinner{animation-duration:3s}}',
    '.tpc-label{display:block;margin:0 0 6px;font-size:15px;font-weight:600;color:var(--tpc-fg)}',
    '.tpc-input{display:block;width:100%;min-width:0;height:48px;margin:0;padding:10px 12px;border:1px solid var(--tpc-field);',
    'border-radius:10px;background:var(--tpc-bg);color:var(--tpc-fg);font:inherit;font-size:16px;line-height:1.4;',
    'box-shadow:none;-webkit-appearance:none;appearance:none}',
    'select.tpc-input{-webkit-appearance:auto;appearance:auto;padding-right:8px}',
    '.tpc-input::placeholder{color:var(--tpc-muted);opacity:1}',
    '.tpc-input[aria-invalid="true"]{border-color:var(--tpc-error-line);border-width:2px}',
    '.tpc-search{position:sticky;top:-20px;z-index:1;margin:-20px -20px 12px;padding:20px 20px 12px;background:var(--tpc-bg)}',
    '.tpc-count{margin:6px 0 0;font-size:13px;color:var(--tpc-muted)}',
    '.tpc-list{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:8px}',
    '.tpc-list li{margin:0;padding:0}',
    '.tpc-list li[hidden]{display:none}',
    '.tpc-connector{display:flex;align-items:center;gap:12px;width:100%;min-height:64px;margin:0;padding:10px 12px;',
    'border:1px solid var(--tpc-line);border-radius:12px;background:var(--tpc-bg);color:var(--tpc-fg);font:inherit;',
    'text-align:left;cursor:pointer}',
    '.tpc-connector:hover{background:var(--tpc-hover);border-color:var(--tpc-field)}',
    '.tpc-connector-text{display:flex;flex-direction:column;min-width:0;flex:1 1 auto}',
    '.tpc-connector-name{font-weight:600;line-height:1.3;overflow-wrap:anywhere}',
    '.tpc-connector-meta{font-size:13px;line-height:1.4;color:var(--tpc-muted);overflow-wrap:anywhere}',
    '.tpc-tag{display:inline-block;margin-left:6px;padding:1px 6px;border-radius:999px;font-size:12px;font-weight:600;',
    'background:var(--tpc-hint-bg);color:var(--tpc-hint-fg);white-space:nowrap}',
    '.tpc-logo{position:relative;flex:none;display:inline-flex;align-items:center;justify-content:center;width:40px;height:40px;',
    'border-radius:10px;overflow:hidden;background:#475569;color:#ffffff;font-size:15px;font-weight:700;line-height:1;',
    'text-transform:uppercase}',
    '.tpc-logo img{position:absolute;top:0;left:0;width:100%;height:100%;object-fit:contain;background:#ffffff}',
    '.tpc-logo-large{width:64px;height:64px;border-radius:16px;font-size:22px}',
    '.tpc-brand{display:flex;align-items:center;gap:12px;margin:0 0 16px}',
    '.tpc-brand .tpc-text{margin:0}',
    '.tpc-field{margin:0 0 16px}',
    '.tpc-help{margin:6px 0 0;font-size:14px;color:var(--tpc-muted)}',
    '.tpc-field-error{margin:6px 0 0;font-size:14px;font-weight:600;color:var(--tpc-error-fg)}',
    '.tpc-field-error[hidden]{display:none}',
    '.tpc-secret{display:flex;gap:8px;align-items:stretch}',
    '.tpc-secret .tpc-input{flex:1 1 auto}',
    '.tpc-button{display:inline-flex;align-items:center;justify-content:center;gap:8px;width:100%;min-height:48px;margin:0;',
    'padding:10px 16px;border:1px solid var(--tpc-accent);border-radius:10px;background:var(--tpc-accent);',
    'color:var(--tpc-accent-fg);font:inherit;font-weight:650;cursor:pointer;text-align:center}',
    '.tpc-button:hover{background:var(--tpc-accent-hover);border-color:var(--tpc-accent-hover)}',
    '.tpc-button[disabled]{opacity:.65;cursor:progress}',
    '.tpc-button-secondary{background:transparent;color:var(--tpc-fg);border-color:var(--tpc-field)}',
    '.tpc-button-secondary:hover{background:var(--tpc-hover);border-color:var(--tpc-field)}',
    '.tpc-button-small{width:auto;flex:none;min-height:48px;padding:8px 12px;font-weight:600}',
    '.tpc-actions{display:flex;flex-direction:column;gap:10px;margin-top:8px;width:100%}',
    '.tpc-alert{margin:0 0 16px;padding:12px 14px;border:1px solid var(--tpc-error-line);border-left-width:4px;',
    'border-radius:10px;background:var(--tpc-error-bg);color:var(--tpc-error-fg);font-weight:600;overflow-wrap:anywhere}',
    '.tpc-hint{margin:0 0 16px;padding:12px 14px;border:1px solid var(--tpc-hint-line);border-radius:10px;',
    'background:var(--tpc-hint-bg);color:var(--tpc-hint-fg);font-size:14px;line-height:1.5;overflow-wrap:anywhere}',
    '.tpc-hint p{margin:0}',
    '.tpc-hint p+p{margin-top:4px}',
    '.tpc-hint strong{font-weight:700}',
    '.tpc-hint code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;font-weight:700;',
    'padding:0 4px;border-radius:4px;background:rgba(127,127,127,.18);color:inherit;white-space:nowrap}',
    '.tpc-hint details{margin-top:6px}',
    '.tpc-hint summary{cursor:pointer;font-weight:600;min-height:24px}',
    '.tpc-hint ul{margin:4px 0 0;padding-left:20px}',
    '.tpc-check{display:inline-flex;align-items:center;justify-content:center;width:64px;height:64px;border-radius:50%;',
    'background:var(--tpc-ok-bg);color:var(--tpc-ok)}',
    '.tpc-check svg{width:34px;height:34px;fill:none;stroke:currentColor;stroke-width:3;stroke-linecap:round;stroke-linejoin:round}',
    '.tpc-image{display:block;max-width:100%;height:auto;margin:0 0 8px;border-radius:8px;background:#ffffff}',
    '@media (max-width:600px){',
    '.tpc-overlay{padding:0;align-items:stretch;justify-content:stretch}',
    '.tpc-dialog{max-width:none;height:100%;max-height:none;border-radius:0;box-shadow:none}',
    '.tpc-header{padding-top:max(8px,env(safe-area-inset-top))}',
    '.tpc-footer{padding-bottom:max(10px,env(safe-area-inset-bottom))}',
    '.tpc-body{padding:16px}',
    '.tpc-search{top:-16px;margin:-16px -16px 12px;padding:16px 16px 12px}}',
    '@media (min-width:601px) and (max-height:700px){.tpc-dialog{height:100%}}'
  ]
    .join('\n')
    .replace(/\.tpc-/g, '.' + PREFIX)
    .replace(/tpc-spin/g, PREFIX + 'spin');

  function injectStyle() {
    if (document.getElementById(STYLE_ID)) return;
    var style = document.createElement('style');
    style.id = STYLE_ID;
    style.textContent = CSS;
    (document.head || document.documentElement).appendChild(style);
  }

  // ---------------------------------------------------------------------------------------
  // DOM helpers
  // ---------------------------------------------------------------------------------------

  function cls(names) {
    return names
      .split(' ')
      .filter(Boolean)
      .map(function (n) {
        return PREFIX + n;
      })
      .join(' ');
  }

  /** createElement with attributes (`class` is prefixed, `text` sets textContent, `on*` listens). */
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (key) {
        var value = attrs[key];
        if (value === undefined || value === null || value === false) return;
        if (key === 'class') node.className = cls(value);
        else if (key === 'text') node.textContent = value;
        else if (key.slice(0, 2) === 'on' && typeof value === 'function') node.addEventListener(key.slice(2), value);
        else node.setAttribute(key, value === true ? '' : String(value));
      });
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    if (children === undefined || children === null) return node;
    (Array.isArray(children) ? children : [children]).forEach(function (child) {
      if (child === undefined || child === null || child === false) return;
      if (Array.isArray(child)) append(node, child);
      else node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  var SVG_NS = 'http://www.w3.org/2000/svg';
  var ICONS = {
    close: ['M6 6l12 12', 'M18 6L6 18'],
    back: ['M15 5l-7 7 7 7'],
    check: ['M5 12.5l4.5 4.5L19 7.5']
  };

  function icon(name) {
    var svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    ICONS[name].forEach(function (d) {
      var path = document.createElementNS(SVG_NS, 'path');
      path.setAttribute('d', d);
      svg.appendChild(path);
    });
    return svg;
  }

  var FOCUSABLE =
    'a[href],button:not([disabled]),input:not([disabled]):not([type="hidden"]),select:not([disabled]),' +
    'textarea:not([disabled]),summary,[tabindex]:not([tabindex="-1"])';

  function focusables(root) {
    return Array.prototype.filter.call(root.querySelectorAll(FOCUSABLE), function (node) {
      if (node.hidden || node.closest('[hidden]')) return false;
      if (node.tagName === 'SUMMARY' && !node.parentElement) return false;
      var style = window.getComputedStyle(node);
      if (style.visibility === 'hidden' || style.display === 'none') return false;
      return node.getClientRects().length > 0;
    });
  }

  function focusSafely(node) {
    if (!node || typeof node.focus !== 'function') return;
    try {
      node.focus({ preventScroll: false });
    } catch (_) {
      node.focus();
    }
  }

  function normalize(text) {
    return String(text || '')
      .toLowerCase()
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .trim();
  }

  function initials(name) {
    var words = String(name || '?')
      .replace(/[^\p{L}\p{N} ]/gu, ' ')
      .split(/\s+/)
      .filter(Boolean);
    if (!words.length) return '?';
    return (words[0].charAt(0) + (words.length > 1 ? words[1].charAt(0) : '')).toUpperCase();
  }

  /** Black or white text, whichever reads better on `#rrggbb`. */
  function textOn(hex) {
    var full = hex.length === 3 ? hex.replace(/(.)/g, '$1$1') : hex.slice(0, 6);
    var rgb = [0, 2, 4].map(function (i) {
      var c = parseInt(full.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    var lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    return (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) ? '#0f172a' : '#ffffff';
  }

  /** Only `data:image/…` and same-origin images: the host page's CSP may allow nothing else. */
  function safeImageUrl(url) {
    if (typeof url !== 'string' || !url) return null;
    if (/^data:image\//i.test(url)) return url;
    try {
      var parsed = new URL(url, window.location.href);
      var apiOrigin = new URL(API_BASE).origin;
      if (parsed.origin === window.location.origin || parsed.origin === apiOrigin) return parsed.href;
    } catch (_) {
      return null;
    }
    return null;
  }

  function logo(connector, large) {
    var box = el('span', { class: large ? 'logo logo-large' : 'logo', 'aria-hidden': 'true' }, initials(connector.name));
    var color = typeof connector.primaryColor === 'string' ? connector.primaryColor.replace(/^#/, '') : '';
    if (/^([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(color)) {
      box.style.backgroundColor = '#' + color;
      box.style.color = textOn(color);
    }
    var src = safeImageUrl(connector.imageUrl);
    if (src) {
      var img = el('img', { alt: '', src: src, decoding: 'async', loading: 'lazy' });
      img.addEventListener('error', function () {
        img.remove();
      });
      box.appendChild(img);
    }
    return box;
  }

  // ---------------------------------------------------------------------------------------
  // API
  // ---------------------------------------------------------------------------------------

  function ApiError(status, message, body) {
    var error = new Error(message);
    error.name = 'PluggyApiError';
    error.status = status;
    error.body = body;
    return error;
  }

  function request(token, method, path, body, text) {
    var headers = { 'X-API-KEY': token, Accept: 'application/json' };
    var options = { method: method, headers: headers, credentials: 'omit', cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      options.body = JSON.stringify(body);
    }
    return fetch(API_BASE + path, options).then(
      function (response) {
        return response.text().then(function (raw) {
          var data = null;
          if (raw) {
            try {
              data = JSON.parse(raw);
            } catch (_) {
              data = null;
            }
          }
          if (!response.ok) {
            var message = data && typeof data.message === 'string' && data.message ? data.message : text.httpError(response.status);
            throw ApiError(response.status, message, data);
          }
          if (data === null) throw ApiError(response.status, text.genericError, null);
          return data;
        });
      },
      function () {
        throw ApiError(0, text.networkError, null);
      }
    );
  }

  // ---------------------------------------------------------------------------------------
  // Item state helpers
  // ---------------------------------------------------------------------------------------

  function isSuccess(item) {
    return item.status === 'UPDATED' || (item.status === 'OUTDATED' && item.executionStatus === 'PARTIAL_SUCCESS');
  }

  function isFailure(item) {
    return item.status === 'LOGIN_ERROR' || item.status === 'OUTDATED';
  }

  /** The login step is behind us: products are being collected, or the run finished well. */
  function loginPassed(item) {
    var ex = String(item.executionStatus || '');
    if (isSuccess(item) || ex === 'SUCCESS' || ex === 'PARTIAL_SUCCESS') return true;
    return /_IN_PROGRESS$/.test(ex) && ex !== 'LOGIN_IN_PROGRESS' && ex !== 'LOGIN_MFA_IN_PROGRESS';
  }

  function signature(item) {
    return [
      item.status,
      item.executionStatus,
      item.updatedAt,
      item.error && item.error.code,
      item.parameter && item.parameter.name
    ].join('|');
  }

  function copy(value) {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
  }

  // ---------------------------------------------------------------------------------------
  // The widget session (private state of one PluggyConnect instance)
  // ---------------------------------------------------------------------------------------

  var instances = 0;
  var openStack = []; // visible sessions, topmost last

  function Session(props) {
    this.props = props;
    this.uid = ++instances;
    this.lang = pickLanguage(props.language);
    this.t = TEXT[this.lang];
    this.rendered = false;
    this.visible = false;
    this.closeFired = false;
    this.gen = 0;
    this.timer = null;
    this.onKeydown = this.handleKeydown.bind(this);
    this.onFocusin = this.handleFocusin.bind(this);
  }

  Session.prototype.id = function (name) {
    return PREFIX + this.uid + '-' + name;
  };

  Session.prototype.call = function (name, arg) {
    var fn = this.props[name];
    if (typeof fn !== 'function') return;
    try {
      var result = arg === undefined ? fn() : fn(arg);
      if (result && typeof result.then === 'function') {
        result.then(undefined, function (error) {
          console.error('PluggyConnect: ' + name + ' failed', error);
        });
      }
    } catch (error) {
      console.error('PluggyConnect: ' + name + ' failed', error);
    }
  };

  Session.prototype.emit = function (event, extra) {
    var payload = { timestamp: Date.now(), event: event };
    if (extra) Object.keys(extra).forEach(function (k) {
      payload[k] = copy(extra[k]);
    });
    this.call('onEvent', payload);
  };

  Session.prototype.api = function (method, path, body) {
    return request(this.props.connectToken, method, path, body, this.t);
  };

  // ----- mounting --------------------------------------------------------------------------

  Session.prototype.mount = function (container) {
    injectStyle();
    var t = this.t;
    var theme = this.props.theme === 'dark' || this.props.theme === 'light' ? this.props.theme : 'auto';
    var self = this;

    this.title = el('h2', { class: 'title', id: this.id('title'), tabindex: '-1' });
    this.backButton = el('button', { type: 'button', class: 'icon-button', 'aria-label': 'Back', hidden: true }, icon('back'));
    this.backButton.addEventListener('click', function () {
      if (self.backAction) self.backAction();
    });
    this.closeButton = el('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close' }, icon('close'));
    this.closeButton.addEventListener('click', function () {
      self.dismiss();
    });
    this.status = el('div', { class: 'sr', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
    this.body = el('div', { class: 'body', id: this.id('body') });
    this.dialog = el(
      'div',
      {
        class: 'dialog',
        role: 'dialog',
        'aria-modal': 'true',
        'aria-labelledby': this.id('title'),
        tabindex: '-1',
        lang: this.lang === 'pt' ? 'pt-BR' : 'en'
      },
      [
        el('div', { class: 'header' }, [this.backButton, this.title, this.closeButton]),
        this.body,
        el('p', { class: 'footer' }, t.footer),
        this.status
      ]
    );
    this.root = el('div', { class: 'overlay theme-' + theme, 'data-pluggy-connect': 'sandbox' }, this.dialog);
    (container || document.body).appendChild(this.root);
    this.rendered = true;
    this.reveal();
  };

  Session.prototype.reveal = function () {
    var active = document.activeElement;
    if (active && active !== document.body && !this.root.contains(active)) this.returnFocus = active;
    this.root.hidden = false;
    this.visible = true;
    if (openStack.indexOf(this) < 0) openStack.push(this);
    document.documentElement.classList.add(PREFIX + 'lock');
    document.addEventListener('keydown', this.onKeydown, true);
    document.addEventListener('focusin', this.onFocusin, true);
    var target = this.focusTarget && this.root.contains(this.focusTarget) ? this.focusTarget : this.dialog;
    focusSafely(target);
  };

  Session.prototype.conceal = function () {
    if (!this.rendered) return;
    this.root.hidden = true;
    this.release();
  };

  Session.prototype.release = function () {
    this.visible = false;
    var index = openStack.indexOf(this);
    if (index >= 0) openStack.splice(index, 1);
    if (!openStack.length) document.documentElement.classList.remove(PREFIX + 'lock');
    document.removeEventListener('keydown', this.onKeydown, true);
    document.removeEventListener('focusin', this.onFocusin, true);
    var back = this.returnFocus;
    this.returnFocus = null;
    if (back && back.isConnected) focusSafely(back);
  };

  Session.prototype.unmount = function () {
    this.gen++;
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.rendered) return;
    var wasVisible = this.visible;
    this.rendered = false;
    if (this.root && this.root.parentNode) this.root.parentNode.removeChild(this.root);
    if (wasVisible) this.release();
    else {
      var index = openStack.indexOf(this);
      if (index >= 0) openStack.splice(index, 1);
    }
  };

  /** Close button / Escape / Done. */
  Session.prototype.dismiss = function () {
    if (this.props.allowConnectInBackground && this.view === 'connecting') {
      this.conceal();
      this.call('onHide');
      return;
    }
    this.unmount();
    if (!this.closeFired) {
      this.closeFired = true;
      this.call('onClose');
    }
  };

  Session.prototype.isTop = function () {
    return this.visible && openStack[openStack.length - 1] === this;
  };

  Session.prototype.handleKeydown = function (event) {
    if (!this.isTop()) return;
    if (event.key === 'Escape' || event.key === 'Esc') {
      event.preventDefault();
      event.stopPropagation();
      this.dismiss();
      return;
    }
    if (event.key !== 'Tab') return;
    var nodes = focusables(this.dialog);
    if (!nodes.length) {
      event.preventDefault();
      focusSafely(this.dialog);
      return;
    }
    var first = nodes[0];
    var last = nodes[nodes.length - 1];
    var active = document.activeElement;
    var inside = this.dialog.contains(active);
    if (event.shiftKey && (!inside || active === first || active === this.dialog || active === this.title)) {
      event.preventDefault();
      focusSafely(last);
    } else if (!event.shiftKey && (!inside || active === last)) {
      event.preventDefault();
      focusSafely(first);
    }
  };

  Session.prototype.handleFocusin = function (event) {
    if (!this.isTop()) return;
    if (this.root.contains(event.target)) return;
    var nodes = focusables(this.dialog);
    focusSafely(nodes[0] || this.dialog);
  };

  // ----- views -----------------------------------------------------------------------------

  /** Replaces the dialog's content; `focus` is the element that receives focus. */
  Session.prototype.setView = function (name, title, content, options) {
    options = options || {};
    this.view = name;
    this.title.textContent = title;
    this.backAction = options.back || null;
    this.backButton.hidden = !options.back;
    this.body.textContent = '';
    append(this.body, content);
    this.body.scrollTop = 0;
    this.focusTarget = options.focus || this.title;
    if (options.announce) this.announce(options.announce);
    if (this.visible) focusSafely(this.focusTarget);
  };

  Session.prototype.announce = function (message) {
    var status = this.status;
    status.textContent = '';
    setTimeout(function () {
      status.textContent = message;
    }, 50);
  };

  Session.prototype.renderLoading = function (title) {
    var t = this.t;
    this.setView('loading', title || t.loadingTitle, el('div', { class: 'center' }, [
      el('div', { class: 'spinner', 'aria-hidden': 'true' }),
      el('p', { class: 'text muted', text: t.loading })
    ]), { announce: t.loading });
  };

  Session.prototype.renderFatal = function (message, retry) {
    var t = this.t;
    var self = this;
    var actions = el('div', { class: 'actions' });
    var retryButton = null;
    if (retry) {
      retryButton = el('button', { type: 'button', class: 'button', text: t.retry });
      retryButton.addEventListener('click', retry);
      actions.appendChild(retryButton);
    }
    var closeButton = el('button', { type: 'button', class: 'button button-secondary', text: t.close });
    closeButton.addEventListener('click', function () {
      self.dismiss();
    });
    actions.appendChild(closeButton);
    this.setView('fatal', t.errorTitle, [el('div', { class: 'alert', role: 'alert', text: message }), actions], {
      focus: retryButton || closeButton
    });
  };

  // ----- flow: connector list --------------------------------------------------------------

  Session.prototype.start = function () {
    this.gen++;
    clearTimeout(this.timer);
    this.item = null;
    this.connector = null;
    this.attempt = null;
    this.awaiting = null;
    if (this.props.updateItem) this.startUpdate();
    else this.loadConnectors();
  };

  Session.prototype.connectorQuery = function () {
    var query = [];
    var p = this.props;
    if (p.includeSandbox) query.push('sandbox=true');
    if (Array.isArray(p.countries) && p.countries.length) query.push('countries=' + p.countries.map(encodeURIComponent).join(','));
    if (Array.isArray(p.connectorTypes) && p.connectorTypes.length) {
      query.push('types=' + p.connectorTypes.map(encodeURIComponent).join(','));
    }
    return query;
  };

  Session.prototype.loadConnectors = function () {
    var self = this;
    var gen = this.gen;
    var p = this.props;
    this.renderLoading();
    var query = this.connectorQuery();
    var path = '/connectors' + (query.length ? '?' + query.join('&') : '');

    var fetchAll = this.api('GET', path).then(function (page) {
      var results = Array.isArray(page && page.results) ? page.results.slice() : [];
      var totalPages = Math.min(Number(page && page.totalPages) || 1, 50);
      var rest = [];
      for (var n = 2; n <= totalPages; n++) {
        rest.push(self.api('GET', path + (query.length ? '&' : '?') + 'page=' + n));
      }
      return Promise.all(rest).then(function (pages) {
        pages.forEach(function (more) {
          if (more && Array.isArray(more.results)) results = results.concat(more.results);
        });
        return results;
      });
    });

    fetchAll
      .then(function (connectors) {
        if (gen !== self.gen) return null;
        if (!p.includeSandbox) connectors = connectors.filter(function (c) {
          return !c.isSandbox;
        });
        if (Array.isArray(p.connectorIds) && p.connectorIds.length) {
          var ids = p.connectorIds.map(Number);
          connectors = connectors.filter(function (c) {
            return ids.indexOf(Number(c.id)) >= 0;
          });
        }
        self.connectors = connectors;
        if (p.selectedConnectorId !== undefined && p.selectedConnectorId !== null && p.selectedConnectorId !== '') {
          var wanted = Number(p.selectedConnectorId);
          var found = connectors.filter(function (c) {
            return Number(c.id) === wanted;
          })[0];
          if (found) return found;
          return self.api('GET', '/connectors/' + encodeURIComponent(wanted)).then(null, function () {
            return null;
          });
        }
        return null;
      })
      .then(function (selected) {
        if (gen !== self.gen) return;
        if (selected) self.selectConnector(selected, { fromList: false });
        else self.renderList();
      })
      .catch(function (error) {
        if (gen !== self.gen) return;
        self.renderFatal(error.message, function () {
          self.loadConnectors();
        });
        self.call('onError', { message: error.message });
      });
  };

  Session.prototype.renderList = function () {
    var t = this.t;
    var self = this;
    var connectors = this.connectors || [];
    var searchId = this.id('search');
    var countId = this.id('count');
    var search = el('input', {
      class: 'input',
      type: 'search',
      id: searchId,
      placeholder: t.searchPlaceholder,
      autocomplete: 'off',
      autocapitalize: 'none',
      spellcheck: 'false',
      'aria-label': 'Search institutions',
      'aria-describedby': countId,
      enterkeyhint: 'search'
    });
    var count = el('p', { class: 'count', id: countId, text: t.results(connectors.length) });
    var empty = el('p', { class: 'text muted', text: t.noResults, hidden: connectors.length > 0 });
    var rows = connectors.map(function (connector) {
      var metaId = self.id('connector-' + connector.id);
      var meta = el('span', { class: 'connector-meta', id: metaId }, t.types[connector.type] || connector.type || '');
      if (connector.isSandbox) meta.appendChild(el('span', { class: 'tag', text: t.sandboxTag }));
      var health = connector.health && connector.health.status;
      if (health === 'OFFLINE') meta.appendChild(el('span', { class: 'tag', text: t.offlineTag }));
      else if (health === 'UNSTABLE') meta.appendChild(el('span', { class: 'tag', text: t.unstableTag }));
      var button = el(
        'button',
        { type: 'button', class: 'connector', 'aria-label': connector.name, 'aria-describedby': metaId },
        [
          logo(connector, false),
          el('span', { class: 'connector-text' }, [el('span', { class: 'connector-name', text: connector.name }), meta])
        ]
      );
      button.addEventListener('click', function () {
        self.selectConnector(connector, { fromList: true });
      });
      return { li: el('li', null, button), key: normalize(connector.name) };
    });
    var list = el(
      'ul',
      { class: 'list', role: 'list', 'aria-label': t.listTitle },
      rows.map(function (row) {
        return row.li;
      })
    );
    var announceTimer = null;
    search.addEventListener('input', function () {
      var q = normalize(search.value);
      var shown = 0;
      rows.forEach(function (row) {
        var match = !q || row.key.indexOf(q) >= 0;
        row.li.hidden = !match;
        if (match) shown++;
      });
      count.textContent = t.results(shown);
      empty.hidden = shown > 0;
      clearTimeout(announceTimer);
      announceTimer = setTimeout(function () {
        self.announce(shown ? t.results(shown) : t.noResults);
      }, 400);
    });
    var searchBox = el('div', { class: 'search', role: 'search' }, [
      el('label', { class: 'label', for: searchId, text: t.searchLabel }),
      search,
      count
    ]);
    this.setView('list', t.listTitle, [searchBox, list, empty], { focus: search });
    if (this.lastSearch) {
      search.value = this.lastSearch;
      search.dispatchEvent(new Event('input'));
    }
    this.searchInput = search;
  };

  Session.prototype.selectConnector = function (connector, options) {
    if (this.searchInput) this.lastSearch = this.searchInput.value;
    this.gen++;
    clearTimeout(this.timer);
    this.connector = connector;
    this.item = null;
    this.attempt = null;
    this.awaiting = null;
    this.fromList = !!(options && options.fromList);
    this.emit('SELECTED_INSTITUTION', { connector: connector });
    this.renderCredentials({});
  };

  // ----- flow: credentials -----------------------------------------------------------------

  /** One labelled input for a ConnectorCredential; returns helpers to read and validate it. */
  Session.prototype.buildField = function (credential, index, options) {
    var t = this.t;
    var self = this;
    var id = this.id('field-' + index);
    var errorId = id + '-error';
    var helpId = id + '-help';
    var type = credential.type || 'text';
    var describedBy = [];
    var children = [];
    var labelText = String(credential.label || credential.name || '');
    var label = el('label', { class: 'label', for: id }, labelText);
    if (credential.optional) label.appendChild(document.createTextNode(' ' + t.optional));
    children.push(label);

    var input;
    if (type === 'select' && Array.isArray(credential.options)) {
      input = el('select', { class: 'input', id: id, name: credential.name });
      input.appendChild(el('option', { value: '', text: t.select }));
      credential.options.forEach(function (option) {
        input.appendChild(el('option', { value: option.value, text: option.label || option.value }));
      });
    } else {
      var autocomplete = 'off';
      if (options.mfa) autocomplete = 'one-time-code';
      else if (type === 'password') autocomplete = 'current-password';
      else if (options.firstText) autocomplete = 'username';
      input = el('input', {
        class: 'input',
        id: id,
        name: credential.name,
        type: type === 'password' ? 'password' : 'text',
        inputmode: type === 'number' ? 'numeric' : undefined,
        placeholder: credential.placeholder || undefined,
        autocomplete: autocomplete,
        autocapitalize: 'none',
        autocorrect: 'off',
        spellcheck: 'false'
      });
    }
    if (!credential.optional) {
      input.required = true;
      input.setAttribute('aria-required', 'true');
    }
    if (options.value !== undefined) input.value = options.value;

    if (type === 'image' && typeof credential.data === 'string' && credential.data) {
      var data = /^data:/.test(credential.data) ? credential.data : 'data:image/png;base64,' + credential.data;
      var image = safeImageUrl(data);
      if (image) children.push(el('img', { class: 'image', src: image, alt: credential.assistiveText || labelText }));
    }

    if (type === 'password') {
      var toggle = el('button', {
        type: 'button',
        class: 'button button-secondary button-small',
        'aria-pressed': 'false',
        'aria-controls': id,
        text: t.showSecret
      });
      toggle.addEventListener('click', function () {
        var reveal = input.type === 'password';
        input.type = reveal ? 'text' : 'password';
        toggle.setAttribute('aria-pressed', reveal ? 'true' : 'false');
        toggle.textContent = reveal ? t.hideSecret : t.showSecret;
      });
      children.push(el('div', { class: 'secret' }, [input, toggle]));
    } else {
      children.push(input);
    }

    var help = credential.assistiveText || credential.instructions;
    if (help && !options.helpShownElsewhere) {
      children.push(el('p', { class: 'help', id: helpId, text: help }));
      describedBy.push(helpId);
    }
    var error = el('p', { class: 'field-error', id: errorId, hidden: true });
    children.push(error);
    describedBy.push(errorId);
    input.setAttribute('aria-describedby', describedBy.join(' '));

    function setError(message) {
      if (message) {
        error.textContent = message;
        error.hidden = false;
        input.setAttribute('aria-invalid', 'true');
      } else {
        error.textContent = '';
        error.hidden = true;
        input.removeAttribute('aria-invalid');
      }
    }
    input.addEventListener('input', function () {
      if (input.getAttribute('aria-invalid') === 'true') setError(null);
    });

    return {
      credential: credential,
      node: el('div', { class: 'field' }, children),
      input: input,
      setError: setError,
      value: function () {
        return type === 'password' ? input.value : input.value.trim();
      },
      validate: function () {
        var value = this.value();
        if (!value) {
          if (credential.optional) {
            setError(null);
            return true;
          }
          setError(t.required);
          return false;
        }
        if (credential.validation) {
          var pattern = null;
          try {
            pattern = new RegExp(credential.validation);
          } catch (_) {
            pattern = null;
          }
          if (pattern && !pattern.test(value)) {
            setError(credential.validationMessage || t.invalid);
            return false;
          }
        }
        setError(null);
        return true;
      }
    };
  };

  Session.prototype.sandboxHint = function (kind) {
    var t = this.t;
    var connector = this.connector;
    if (!connector || !connector.isSandbox) return null;
    var hint = el('div', { class: 'hint' }, el('p', null, el('strong', { text: t.hintTitle })));
    if (kind === 'mfa') {
      hint.appendChild(el('p', null, [t.mfaHint[0], el('code', { text: SANDBOX_MFA }), t.mfaHint[1]]));
      return hint;
    }
    hint.appendChild(
      el('p', null, [
        t.hintLogin[0],
        el('code', { text: SANDBOX_USER }),
        t.hintLogin[1],
        el('code', { text: SANDBOX_PASSWORD }),
        t.hintLogin[2]
      ])
    );
    if (connector.hasMFA) hint.appendChild(el('p', null, [t.hintMfa[0], el('code', { text: SANDBOX_MFA }), t.hintMfa[1]]));
    hint.appendChild(
      el('details', null, [
        el('summary', { text: t.hintMore }),
        el(
          'ul',
          null,
          t.hintFailures.map(function (pair) {
            return el('li', null, [el('code', { text: pair[0] }), ' — ' + pair[1]]);
          })
        )
      ])
    );
    return hint;
  };

  /** The credential form. `state.error` shows an alert; `state.values` refills fields. */
  Session.prototype.renderCredentials = function (state) {
    var t = this.t;
    var self = this;
    var connector = this.connector;
    var updating = !!this.props.updateItem;
    var credentials = (Array.isArray(connector.credentials) ? connector.credentials : []).filter(function (c) {
      return c && !c.mfa;
    });
    var values = state.values || {};
    var firstTextSeen = false;
    var fields = credentials.map(function (credential, index) {
      var type = credential.type || 'text';
      var firstText = !firstTextSeen && (type === 'text' || type === 'number');
      if (firstText) firstTextSeen = true;
      return self.buildField(credential, index, { firstText: firstText, value: values[credential.name] });
    });
    var submit = el('button', { type: 'submit', class: 'button', text: t.connect });
    var alertBox = el('div', { class: 'alert-slot' });
    var form = el('form', { novalidate: true, 'aria-describedby': this.id('intro') }, [
      fields.map(function (f) {
        return f.node;
      }),
      el('div', { class: 'actions' }, submit)
    ]);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      self.submitCredentials(fields, submit, alertBox);
    });
    var intro = el('p', {
      class: 'text',
      id: this.id('intro'),
      text: updating && state.error ? t.updateIntro(connector.name) : t.credentialsIntro(connector.name)
    });
    if (state.error) alertBox.appendChild(el('div', { class: 'alert', role: 'alert', text: state.error }));
    var firstEmpty = fields.filter(function (f) {
      return !f.input.value;
    })[0];
    var back = this.fromList
      ? function () {
          self.gen++;
          clearTimeout(self.timer);
          self.item = null;
          self.renderList();
        }
      : null;
    this.setView(
      'credentials',
      connector.name,
      [
        el('div', { class: 'brand' }, [logo(connector, true), intro]),
        alertBox,
        this.sandboxHint('login'),
        form
      ],
      { back: back, focus: (firstEmpty || fields[0] || { input: submit }).input }
    );
  };

  Session.prototype.setBusy = function (button, busy, label) {
    if (!button) return;
    if (busy) {
      button.dataset.label = button.textContent;
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
      button.textContent = label || this.t.sending;
    } else {
      button.disabled = false;
      button.removeAttribute('aria-busy');
      if (button.dataset.label) button.textContent = button.dataset.label;
    }
  };

  Session.prototype.showFormError = function (slot, message, fields, details) {
    slot.textContent = '';
    slot.appendChild(el('div', { class: 'alert', role: 'alert', text: message }));
    var focus = null;
    if (Array.isArray(details) && fields) {
      details.forEach(function (detail) {
        var field = fields.filter(function (f) {
          return detail && f.credential.name === detail.parameter;
        })[0];
        if (field) {
          field.setError(detail.message || message);
          if (!focus) focus = field.input;
        }
      });
    }
    if (focus) focusSafely(focus);
  };

  Session.prototype.submitCredentials = function (fields, submit, slot) {
    if (submit.disabled) return;
    var invalid = fields.filter(function (f) {
      return !f.validate();
    });
    if (invalid.length) {
      focusSafely(invalid[0].input);
      return;
    }
    var parameters = {};
    var values = {};
    fields.forEach(function (f) {
      var value = f.value();
      if (value === '' && f.credential.optional) return;
      parameters[f.credential.name] = value;
      if ((f.credential.type || 'text') !== 'password') values[f.credential.name] = value;
    });
    this.lastValues = values;
    this.emit('SUBMITTED_LOGIN');
    this.setBusy(submit, true);
    var self = this;
    var gen = ++this.gen;
    clearTimeout(this.timer);
    var connector = this.connector;
    var call;
    if (this.item && this.item.id) {
      this.awaiting = { sig: signature(this.item), polls: 0 };
      call = this.api('PATCH', '/items/' + encodeURIComponent(this.item.id), { parameters: parameters });
    } else {
      var body = { connectorId: connector.id, parameters: parameters };
      if (Array.isArray(this.props.products) && this.props.products.length) body.products = this.props.products.slice();
      this.awaiting = null;
      call = this.api('POST', '/items', body);
    }
    this.attempt = { mfa: false, loginFired: false };
    call.then(
      function (item) {
        if (gen !== self.gen) return;
        self.renderConnecting();
        self.handleItem(item);
      },
      function (error) {
        if (gen !== self.gen) return;
        self.setBusy(submit, false);
        var body = error.body || {};
        self.showFormError(slot, error.message, fields, body.details || body.errors);
      }
    );
  };

  // ----- flow: connecting, polling, MFA ----------------------------------------------------

  Session.prototype.renderConnecting = function () {
    if (this.view === 'connecting') return;
    var t = this.t;
    var connector = this.connector || { name: '' };
    var text = this.props.updateItem ? t.updating(connector.name) : t.connecting(connector.name);
    this.setView(
      'connecting',
      connector.name || t.loadingTitle,
      el('div', { class: 'center' }, [
        logo(connector, true),
        el('div', { class: 'spinner', 'aria-hidden': 'true' }),
        el('p', { class: 'text', text: text }),
        el('p', { class: 'text muted', text: t.connectingHelp })
      ]),
      { announce: text }
    );
  };

  Session.prototype.schedulePoll = function () {
    var self = this;
    var gen = this.gen;
    clearTimeout(this.timer);
    this.timer = setTimeout(function () {
      self.poll(gen);
    }, POLL_MS);
  };

  Session.prototype.poll = function (gen) {
    var self = this;
    if (gen !== this.gen || !this.item) return;
    this.api('GET', '/items/' + encodeURIComponent(this.item.id)).then(
      function (item) {
        if (gen !== self.gen) return;
        self.pollFailures = 0;
        self.handleItem(item);
      },
      function (error) {
        if (gen !== self.gen) return;
        self.pollFailures = (self.pollFailures || 0) + 1;
        var transient = error.status === 0 || error.status === 429 || error.status >= 500;
        if (transient && self.pollFailures <= 5) {
          self.schedulePoll();
          return;
        }
        self.pollFailures = 0;
        self.renderFatal(error.message, function () {
          self.renderConnecting();
          self.schedulePoll();
        });
        self.call('onError', { message: error.message, data: { item: copy(self.item) } });
      }
    );
  };

  /** Reacts to every Item the API returns (create, update, MFA, poll). */
  Session.prototype.handleItem = function (item) {
    if (!item || typeof item !== 'object' || !item.id) {
      this.renderFatal(this.t.genericError, null);
      return;
    }
    this.item = item;
    if (!this.connector && item.connector) this.connector = item.connector;
    this.emit('ITEM_RESPONSE', { item: item });

    // Right after a submit the API may still show the state we answered: wait for a change.
    if (this.awaiting) {
      if (signature(item) === this.awaiting.sig && this.awaiting.polls < 4) {
        this.awaiting.polls++;
        this.renderConnecting();
        this.schedulePoll();
        return;
      }
      this.awaiting = null;
    }

    if (this.attempt && !this.attempt.loginFired && loginPassed(item)) {
      this.attempt.loginFired = true;
      this.emit(this.attempt.mfa ? 'LOGIN_MFA_SUCCESS' : 'LOGIN_SUCCESS', { item: item });
    }

    if (isSuccess(item)) {
      this.succeed(item);
    } else if (item.status === 'WAITING_USER_INPUT' && item.parameter) {
      this.renderMfa(item, null);
    } else if (isFailure(item)) {
      this.fail(item);
    } else if (item.status === 'WAITING_USER_ACTION') {
      this.renderUserAction(item);
      this.schedulePoll();
    } else {
      this.renderConnecting();
      this.schedulePoll();
    }
  };

  Session.prototype.succeed = function (item) {
    clearTimeout(this.timer);
    var t = this.t;
    var self = this;
    var connector = this.connector || item.connector || { name: '' };
    var text = this.props.updateItem ? t.updatedText(connector.name) : t.successText(connector.name);
    var done = el('button', { type: 'button', class: 'button', text: t.done });
    done.addEventListener('click', function () {
      self.dismiss();
    });
    this.setView(
      'success',
      t.successTitle,
      el('div', { class: 'center' }, [
        el('span', { class: 'check', 'aria-hidden': 'true' }, icon('check')),
        el('p', { class: 'text', text: text }),
        el('div', { class: 'actions' }, done)
      ]),
      { focus: done, announce: text }
    );
    this.call('onSuccess', { item: copy(item) });
  };

  Session.prototype.errorMessage = function (item) {
    if (item.error && typeof item.error.message === 'string' && item.error.message) return item.error.message;
    return this.t.executionErrors[item.executionStatus] || this.t.genericError;
  };

  Session.prototype.fail = function (item) {
    clearTimeout(this.timer);
    var self = this;
    var message = this.errorMessage(item);
    this.withConnectorDetails(function () {
      self.renderCredentials({ error: message, values: self.lastValues });
    });
    this.call('onError', { message: message, data: { item: copy(item) } });
  };

  /** Update mode: the Item's connector may lack `credentials`; fetch the connector if so. */
  Session.prototype.withConnectorDetails = function (then) {
    var self = this;
    var gen = this.gen;
    var connector = this.connector || (this.item && this.item.connector);
    if (connector && Array.isArray(connector.credentials) && connector.credentials.length) {
      this.connector = connector;
      then();
      return;
    }
    if (!connector || connector.id === undefined) {
      this.renderFatal(this.t.genericError, null);
      return;
    }
    this.api('GET', '/connectors/' + encodeURIComponent(connector.id)).then(
      function (full) {
        if (gen !== self.gen) return;
        self.connector = full;
        then();
      },
      function (error) {
        if (gen !== self.gen) return;
        self.renderFatal(error.message, function () {
          self.withConnectorDetails(then);
        });
      }
    );
  };

  Session.prototype.renderMfa = function (item, error) {
    clearTimeout(this.timer);
    var t = this.t;
    var self = this;
    var parameter = item.parameter;
    var connector = this.connector || item.connector || { name: '' };
    var intro = parameter.instructions || parameter.assistiveText || t.mfaIntro(connector.name);
    var field = this.buildField(parameter, 'mfa', { mfa: true, helpShownElsewhere: !!(parameter.instructions || parameter.assistiveText) });
    var submit = el('button', { type: 'submit', class: 'button', text: t.submit });
    var slot = el('div', { class: 'alert-slot' });
    if (error) slot.appendChild(el('div', { class: 'alert', role: 'alert', text: error }));
    var form = el('form', { novalidate: true, 'aria-describedby': this.id('mfa-intro') }, [
      field.node,
      el('div', { class: 'actions' }, submit)
    ]);
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      self.submitMfa(item, field, submit, slot);
    });
    this.setView(
      'mfa',
      t.mfaTitle,
      [
        el('div', { class: 'brand' }, [
          logo(connector, true),
          el('p', { class: 'text', id: this.id('mfa-intro'), text: intro })
        ]),
        slot,
        this.sandboxHint('mfa'),
        form
      ],
      { focus: field.input }
    );
  };

  Session.prototype.submitMfa = function (item, field, submit, slot) {
    if (submit.disabled) return;
    if (!field.validate()) {
      focusSafely(field.input);
      return;
    }
    var body = {};
    body[item.parameter.name] = field.value();
    this.emit('SUBMITTED_MFA');
    this.setBusy(submit, true);
    if (!this.attempt) this.attempt = { mfa: true, loginFired: false };
    this.attempt.mfa = true;
    this.awaiting = { sig: signature(item), polls: 0 };
    var self = this;
    var gen = ++this.gen;
    clearTimeout(this.timer);
    this.api('POST', '/items/' + encodeURIComponent(item.id) + '/mfa', body).then(
      function (next) {
        if (gen !== self.gen) return;
        self.renderConnecting();
        self.handleItem(next);
      },
      function (error) {
        if (gen !== self.gen) return;
        self.awaiting = null;
        self.setBusy(submit, false);
        self.showFormError(slot, error.message, null, null);
        field.setError(error.message);
        focusSafely(field.input);
      }
    );
  };

  Session.prototype.renderUserAction = function (item) {
    var t = this.t;
    var action = item.userAction || {};
    var instructions = action.instructions || t.actionWaiting;
    var key = 'action|' + instructions;
    if (this.view === 'action' && this.actionKey === key) return;
    this.actionKey = key;
    var connector = this.connector || item.connector || { name: '' };
    this.setView(
      'action',
      t.actionTitle,
      el('div', { class: 'center' }, [
        logo(connector, true),
        el('p', { class: 'text', text: instructions }),
        el('div', { class: 'spinner', 'aria-hidden': 'true' }),
        el('p', { class: 'text muted', text: t.actionWaiting })
      ]),
      { announce: instructions }
    );
  };

  // ----- flow: update mode -----------------------------------------------------------------

  Session.prototype.startUpdate = function () {
    var self = this;
    var gen = this.gen;
    var id = String(this.props.updateItem);
    this.renderLoading();
    this.api('GET', '/items/' + encodeURIComponent(id)).then(
      function (item) {
        if (gen !== self.gen) return;
        self.item = item;
        self.connector = item.connector || null;
        self.emit('ITEM_RESPONSE', { item: item });
        if (item.status === 'LOGIN_ERROR' || self.props.forceAskForCredentials) {
          var message = item.status === 'LOGIN_ERROR' ? self.errorMessage(item) : null;
          self.withConnectorDetails(function () {
            self.renderCredentials({ error: message });
          });
        } else if (item.status === 'WAITING_USER_INPUT' && item.parameter) {
          self.renderMfa(item, null);
        } else {
          self.refresh(item);
        }
      },
      function (error) {
        if (gen !== self.gen) return;
        self.renderFatal(error.message, function () {
          self.startUpdate();
        });
        self.call('onError', { message: error.message });
      }
    );
  };

  /** Update mode: `PATCH /items/{id}` with `{}` re-runs the sync with the stored credentials. */
  Session.prototype.refresh = function (item) {
    var self = this;
    var gen = ++this.gen;
    clearTimeout(this.timer);
    this.renderConnecting();
    this.attempt = { mfa: false, loginFired: false };
    this.awaiting = { sig: signature(item), polls: 0 };
    this.api('PATCH', '/items/' + encodeURIComponent(item.id), {}).then(
      function (next) {
        if (gen !== self.gen) return;
        self.handleItem(next);
      },
      function (error) {
        if (gen !== self.gen) return;
        self.awaiting = null;
        if (error.status === 400) {
          // Pluggy answers 400 when the stored parameters cannot be reused: ask for them.
          self.withConnectorDetails(function () {
            self.renderCredentials({ error: error.message });
          });
          return;
        }
        self.renderFatal(error.message, function () {
          self.refresh(item);
        });
        self.call('onError', { message: error.message, data: { item: copy(item) } });
      }
    );
  };

  // ---------------------------------------------------------------------------------------
  // Public API: the pluggy-connect-sdk surface
  // ---------------------------------------------------------------------------------------

  var sessions = new WeakMap();

  function notInitialised() {
    return Promise.reject(new Error('PluggyConnect: the widget is not initialised; call init() first.'));
  }

  /**
   * `new PluggyConnect(props)`, with the props of pluggy-connect-sdk's `PluggyConnectProps`:
   * connectToken (required), includeSandbox, updateItem, connectorTypes, connectorIds, countries,
   * selectedConnectorId, products, language, theme, allowConnectInBackground,
   * forceAskForCredentials, onSuccess, onError, onOpen, onClose, onHide, onEvent.
   */
  class PluggyConnect {
    constructor(props) {
      if (!props || typeof props !== 'object') throw new TypeError('PluggyConnect: props object is required');
      sessions.set(this, new Session(Object.assign({}, props)));
    }

    /** Renders the modal (appended to `containerElement` or `<body>`) and starts the flow. */
    init(containerElement) {
      var session = sessions.get(this);
      if (!session) return notInitialised();
      if (typeof session.props.connectToken !== 'string' || !session.props.connectToken) {
        return Promise.reject(new Error('PluggyConnect: "connectToken" is required'));
      }
      if (containerElement !== undefined && containerElement !== null && !(containerElement instanceof Element)) {
        return Promise.reject(new TypeError('PluggyConnect: containerElement must be an HTML element'));
      }
      if (session.rendered) return Promise.resolve();
      if (!containerElement && !document.body) {
        return Promise.reject(new Error('PluggyConnect: document.body is not available yet'));
      }
      try {
        session.mount(containerElement || null);
      } catch (error) {
        return Promise.reject(error);
      }
      session.call('onOpen');
      session.start();
      return Promise.resolve();
    }

    /** Shows the modal again after `hide()`. */
    show() {
      var session = sessions.get(this);
      if (!session || !session.rendered) return notInitialised();
      if (!session.visible) session.reveal();
      return Promise.resolve();
    }

    /** Hides (minimises) the modal; the connection keeps running in the background. */
    hide() {
      var session = sessions.get(this);
      if (!session || !session.rendered) return notInitialised();
      if (session.visible) session.conceal();
      return Promise.resolve();
    }

    /** Removes the modal and stops any polling, without calling `onClose`. */
    destroy() {
      var session = sessions.get(this);
      if (session) session.unmount();
      return Promise.resolve();
    }
  }

  window.PluggyConnect = PluggyConnect;
  window.__TRIBUTARY_PLUGGY_CONNECT_API_BASE = API_BASE;
})();
