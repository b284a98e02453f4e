// Test page for the Pluggy Connect emulation, served by the sandbox at
// `/sandbox/pluggy/__connect/demo` (this file at `…/__connect/demo.js`).
//
// "Open Pluggy Connect" gets an API key (POST /auth with the sandbox client keys),
// a connect token (POST /connect_token, with `itemId` for update mode), then opens
// `new PluggyConnect({...}).init()`. Each callback is written to <pre id="log"> as one
// JSON line: {"callback": "<name>", "data": <argument>}.
//
// Query parameters: itemId (update mode), connectorId (selectedConnectorId),
// connectorIds, countries, connectorTypes, products (comma-separated), theme, language,
// includeSandbox=false.
(function () {
  'use strict';

  var base = window.location.pathname.replace(/\/__connect\/demo\/?$/, '');
  if (!base || base === window.location.pathname) base = '/sandbox/pluggy';

  var params = new URLSearchParams(window.location.search);
  var openButton = document.getElementById('open');
  var statusLine = document.getElementById('status');
  var log = document.getElementById('log');
  var widget = null;
  var busy = false;

  function write(callback, data) {
    var entry = { callback: callback };
    if (data !== undefined) entry.data = data;
    log.textContent += JSON.stringify(entry) + '\n';
  }

  function list(name) {
    var value = params.get(name);
    if (!value) return undefined;
    return value
      .split(',')
      .map(function (v) {
        return v.trim();
      })
      .filter(Boolean);
  }

  async function post(path, body, apiKey) {
    var headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (apiKey) headers['X-API-KEY'] = apiKey;
    var response = await fetch(base + path, { method: 'POST', headers: headers, body: JSON.stringify(body) });
    var data = await response.json().catch(function () {
      return null;
    });
    if (!response.ok) {
      throw new Error((data && data.message) || 'HTTP ' + response.status + ' from ' + path);
    }
    return data;
  }

  // The button stays enabled (aria-disabled while busy): disabling it would drop its focus,
  // and the widget gives focus back to the element that had it when it opened.
  async function open() {
    if (busy) return;
    busy = true;
    openButton.setAttribute('aria-disabled', 'true');
    statusLine.textContent = 'Getting a connect token…';
    try {
      var auth = await post('/auth', { clientId: 'sandbox-client-id', clientSecret: 'sandbox-client-secret' });
      var itemId = params.get('itemId') || undefined;
      var token = await post('/connect_token', itemId ? { itemId: itemId } : {}, auth.apiKey);
      if (widget) await widget.destroy();
      var ids = list('connectorIds');
      var options = {
        connectToken: token.accessToken,
        includeSandbox: params.get('includeSandbox') !== 'false',
        updateItem: itemId,
        connectorIds: ids && ids.map(Number),
        countries: list('countries'),
        connectorTypes: list('connectorTypes'),
        products: list('products'),
        selectedConnectorId: params.get('connectorId') ? Number(params.get('connectorId')) : undefined,
        theme: params.get('theme') || undefined,
        language: params.get('language') || undefined,
        onOpen: function () {
          write('onOpen');
        },
        onClose: function () {
          write('onClose');
        },
        onHide: function () {
          write('onHide');
        },
        onSuccess: function (data) {
          write('onSuccess', data);
        },
        onError: function (error) {
          write('onError', error);
        },
        onEvent: function (payload) {
          write('onEvent', payload);
        }
      };
      widget = new window.PluggyConnect(options);
      await widget.init();
      statusLine.textContent = '';
    } catch (error) {
      statusLine.textContent = 'Could not open Pluggy Connect: ' + error.message;
      write('demoError', { message: error.message });
    } finally {
      busy = false;
      openButton.removeAttribute('aria-disabled');
    }
  }

  openButton.addEventListener('click', function () {
    open();
  });
})();
