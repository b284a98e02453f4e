// The Plaid Link sandbox demo page ({base}/__link/demo): a button that gets
// a link token and opens Link, and every callback written as one JSON line
// into <pre id="log"> so tests can read them. An external script because the
// page's CSP forbids inline ones.
//
// Query parameters:
//   ?access_token=access-sandbox-…  update mode for that item
//   ?link_token=link-sandbox-…      use this link token as is (no token/create)
(function () {
  "use strict";

  const params = new URLSearchParams(window.location.search);
  const accessToken = params.get("access_token");
  const fixedLinkToken = params.get("link_token");
  const log = document.getElementById("log");
  const button = document.getElementById("open-link");
  const mode = document.getElementById("mode");
  let handler = null;

  function write(entry) {
    log.textContent += JSON.stringify(entry) + "\n";
  }

  if (accessToken) {
    mode.textContent = "Update mode: repair the item of the access token in the address. Sandbox login: user_good / pass_good.";
  }

  async function linkToken() {
    if (fixedLinkToken) return fixedLinkToken;
    const body = {
      client_id: "sandbox_client_id",
      secret: "sandbox_secret",
      client_name: "Tributary demo",
      language: "en",
      country_codes: ["US"],
      user: { client_user_id: "demo" },
    };
    if (accessToken) body.access_token = accessToken;
    else body.products = ["transactions"];
    const res = await fetch("/sandbox/plaid/link/token/create", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    });
    const data = await res.json();
    if (!res.ok || typeof data.link_token !== "string") {
      write({ callback: "linkTokenError", status: res.status, error: data });
      return null;
    }
    return data.link_token;
  }

  button.addEventListener("click", async function () {
    if (!window.Plaid) {
      write({ callback: "linkTokenError", error: "window.Plaid is missing" });
      return;
    }
    const token = await linkToken();
    if (!token) return;
    if (handler) handler.destroy();
    handler = window.Plaid.create({
      token: token,
      onSuccess: function (publicToken, metadata) {
        write({ callback: "onSuccess", public_token: publicToken, metadata: metadata });
      },
      onExit: function (error, metadata) {
        write({ callback: "onExit", error: error, metadata: metadata });
      },
      onEvent: function (eventName, metadata) {
        write({ callback: "onEvent", eventName: eventName, metadata: metadata });
      },
      onLoad: function () {
        write({ callback: "onLoad" });
      },
    });
    handler.open();
  });

  button.setAttribute("data-ready", "true");
})();
