// The Pluggy Connect emulation (`/sandbox/pluggy/pluggy-connect.js`), driven through the
// sandbox's test page `/sandbox/pluggy/__connect/demo`, which writes every widget callback
// to <pre id="log"> as one JSON line `{"callback": "...", "data": ...}`.
//
// Connector ids, credential labels and the MFA parameter are read from the sandbox API
// (or from the logged Item), not hard-coded: only the names "Pluggy Bank" and the sandbox
// users (user-ok / password-ok, MFA 123456, user-locked) are assumed.
import { expect, test as base, type APIRequestContext, type Locator, type Page } from "@playwright/test";
import { expectNoHorizontalScroll, jsDisabled, watchConsole } from "./helpers";

const BASE = "/sandbox/pluggy";
const DEMO = `${BASE}/__connect/demo`;
const CLIENT = { clientId: "sandbox-client-id", clientSecret: "sandbox-client-secret" };
const USER = "user-ok";
const PASSWORD = "password-ok";
const MFA_CODE = "123456";
/** An Item goes UPDATING → UPDATED in about a second; leave room for a busy CI machine. */
const ITEM_TIMEOUT = 20_000;

type Credential = { name: string; label: string; type?: string; mfa?: boolean; optional?: boolean };
type Connector = { id: number; name: string; isSandbox?: boolean; hasMFA?: boolean; credentials: Credential[] };
type Item = {
  id: string;
  status: string;
  executionStatus: string;
  error: { code: string; message: string } | null;
  parameter: Credential | null;
  connector: Connector;
};
type LogEntry = { callback: string; data?: any };

/** Every test fails on a CSP violation, an uncaught error or a console error in the page. */
const test = base.extend<{ pageProblems: string[] }>({
  pageProblems: [
    async ({ page }, use) => {
      // 4xx answers to fetch() ("Failed to load resource") are expected and left out.
      const problems = await watchConsole(page);
      await use(problems);
      expect(problems, "CSP violations, uncaught errors or console errors").toEqual([]);
    },
    { auto: true },
  ],
});

test.beforeEach(({}, testInfo) => {
  test.skip(jsDisabled(testInfo), "Pluggy Connect is a JavaScript widget");
});

// ----- helpers ----------------------------------------------------------------------------

async function apiKey(request: APIRequestContext): Promise<string> {
  const res = await request.post(`${BASE}/auth`, { data: CLIENT });
  expect(res.status()).toBe(200);
  return (await res.json()).apiKey;
}

async function sandboxConnectors(request: APIRequestContext): Promise<Connector[]> {
  const key = await apiKey(request);
  const res = await request.get(`${BASE}/connectors?sandbox=true`, { headers: { "X-API-KEY": key } });
  expect(res.status()).toBe(200);
  const page = await res.json();
  return (page.results as Connector[]).filter((c) => c.isSandbox);
}

async function pluggyBank(request: APIRequestContext): Promise<Connector> {
  const bank = (await sandboxConnectors(request)).find((c) => c.name === "Pluggy Bank");
  expect(bank, "a sandbox connector named Pluggy Bank").toBeTruthy();
  return bank!;
}

async function mfaConnector(request: APIRequestContext): Promise<Connector> {
  const mfa = (await sandboxConnectors(request)).filter((c) => c.hasMFA);
  expect(mfa.length, "a sandbox connector with hasMFA").toBeGreaterThan(0);
  return mfa.find((c) => /mfa/i.test(c.name)) ?? mfa[0];
}

/** The connector's login fields: `password` for password fields, `user` for the others. */
function loginFields(connector: Connector): Credential[] {
  return connector.credentials.filter((c) => !c.mfa && !c.optional);
}

/** Creates an Item with the API key (not the widget) and waits until it settles. */
async function createItem(request: APIRequestContext, connector: Connector, password: string): Promise<Item> {
  const key = await apiKey(request);
  const headers = { "X-API-KEY": key };
  const parameters = Object.fromEntries(
    loginFields(connector).map((c) => [c.name, c.type === "password" ? password : USER]),
  );
  const created = await request.post(`${BASE}/items`, {
    headers,
    data: { connectorId: connector.id, parameters },
  });
  expect(created.status()).toBe(200);
  const id = (await created.json()).id as string;
  let item: Item | undefined;
  await expect
    .poll(
      async () => {
        item = await (await request.get(`${BASE}/items/${id}`, { headers })).json();
        return item!.status;
      },
      { timeout: ITEM_TIMEOUT },
    )
    .toMatch(/^(UPDATED|LOGIN_ERROR|OUTDATED)$/);
  return item!;
}

type ApiCall = { method: string; path: string; body: any; apiKey: string | undefined };

/** Records the widget's calls to the sandbox API (the page's own token requests excluded). */
function recordApiCalls(page: Page): ApiCall[] {
  const calls: ApiCall[] = [];
  page.on("request", (req) => {
    const url = new URL(req.url());
    if (!url.pathname.startsWith(`${BASE}/`) || url.pathname.startsWith(`${BASE}/__connect`)) return;
    const path = url.pathname.slice(BASE.length) + url.search;
    if (path === "/auth" || path === "/connect_token" || path === "/pluggy-connect.js") return;
    const raw = req.postData();
    calls.push({ method: req.method(), path, body: raw ? JSON.parse(raw) : undefined, apiKey: req.headers()["x-api-key"] });
  });
  return calls;
}

async function readLog(page: Page): Promise<LogEntry[]> {
  const text = (await page.locator("#log").textContent()) ?? "";
  return text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as LogEntry);
}

async function callbacks(page: Page, name: string): Promise<LogEntry[]> {
  return (await readLog(page)).filter((e) => e.callback === name);
}

async function events(page: Page): Promise<string[]> {
  return (await callbacks(page, "onEvent")).map((e) => e.data.event);
}

/** Waits until `name` was called `count` times and returns the last call. */
async function waitForCallback(page: Page, name: string, count = 1): Promise<LogEntry> {
  await expect.poll(async () => (await callbacks(page, name)).length, { timeout: ITEM_TIMEOUT }).toBe(count);
  const all = await callbacks(page, name);
  return all[all.length - 1];
}

async function openConnect(page: Page, query = ""): Promise<Locator> {
  await page.goto(DEMO + query);
  await page.getByRole("button", { name: "Open Pluggy Connect" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  return dialog;
}

async function chooseConnector(dialog: Locator, name: string) {
  const search = dialog.getByRole("searchbox", { name: "Search institutions" });
  await search.fill(name);
  await dialog.getByRole("button", { name, exact: true }).click();
  await expect(dialog.getByRole("heading", { name, exact: true })).toBeVisible();
}

async function fillCredentials(dialog: Locator, connector: Connector, user: string, password: string) {
  for (const credential of loginFields(connector)) {
    const value = credential.type === "password" ? password : user;
    await dialog.getByLabel(credential.label, { exact: true }).fill(value);
  }
  await dialog.getByRole("button", { name: "Conectar" }).click();
}

async function expectFocusInside(dialog: Locator) {
  await expect.poll(() => dialog.evaluate((node) => node.contains(document.activeElement))).toBe(true);
}

// ----- tests ------------------------------------------------------------------------------

test("connect Pluggy Bank with user-ok: the Item reaches UPDATED and onSuccess has it", async ({ page, request }) => {
  const bank = await pluggyBank(request);
  const calls = recordApiCalls(page);
  const dialog = await openConnect(page);
  await waitForCallback(page, "onOpen");
  await expect(dialog.getByRole("searchbox", { name: "Search institutions" })).toBeFocused();
  await chooseConnector(dialog, "Pluggy Bank");
  await expect(dialog.getByText(USER, { exact: true }).first()).toBeVisible(); // sandbox hint
  await fillCredentials(dialog, bank, USER, PASSWORD);

  await expect(dialog.getByRole("heading", { name: "Conta conectada" })).toBeVisible({ timeout: ITEM_TIMEOUT });
  const success = await waitForCallback(page, "onSuccess");
  expect(success.data.item.id).toEqual(expect.any(String));
  expect(success.data.item.status).toBe("UPDATED");
  expect(success.data.item.connector.id).toBe(bank.id);

  const seen = await events(page);
  expect(seen).toContain("SELECTED_INSTITUTION");
  expect(seen).toContain("SUBMITTED_LOGIN");
  expect(seen).toContain("LOGIN_SUCCESS");
  expect(seen).toContain("ITEM_RESPONSE");
  const selected = (await callbacks(page, "onEvent")).find((e) => e.data.event === "SELECTED_INSTITUTION")!;
  expect(selected.data.connector.id).toBe(bank.id);
  expect(selected.data.timestamp).toEqual(expect.any(Number));
  const responses = (await callbacks(page, "onEvent")).filter((e) => e.data.event === "ITEM_RESPONSE");
  expect(responses.every((e) => e.data.item.id === success.data.item.id)).toBe(true);
  expect(await callbacks(page, "onError")).toHaveLength(0);

  // Pluggy's endpoints, each with the connect token as X-API-KEY.
  expect(calls[0]).toMatchObject({ method: "GET", path: "/connectors?sandbox=true" });
  const create = calls.find((c) => c.method === "POST" && c.path === "/items")!;
  expect(create.body).toEqual({
    connectorId: bank.id,
    parameters: Object.fromEntries(loginFields(bank).map((c) => [c.name, c.type === "password" ? PASSWORD : USER])),
  });
  expect(calls.filter((c) => c.method === "GET" && c.path === `/items/${success.data.item.id}`).length).toBeGreaterThan(0);
  const tokens = new Set(calls.map((c) => c.apiKey));
  expect(tokens.size).toBe(1);
  expect([...tokens][0]).toBeTruthy();

  await dialog.getByRole("button", { name: "Concluir" }).click();
  await expect(dialog).toBeHidden();
  await waitForCallback(page, "onClose");
  await expect(page.getByRole("button", { name: "Open Pluggy Connect" })).toBeFocused();
});

test("a wrong password shows the error, onError fires, and the retry connects the same Item", async ({
  page,
  request,
}) => {
  const bank = await pluggyBank(request);
  const calls = recordApiCalls(page);
  const dialog = await openConnect(page);
  await chooseConnector(dialog, "Pluggy Bank");
  await fillCredentials(dialog, bank, USER, "wrong-password");

  const alert = dialog.getByRole("alert");
  await expect(alert).toBeVisible({ timeout: ITEM_TIMEOUT });
  const failure = await waitForCallback(page, "onError");
  expect(failure.data.data.item.status).toBe("LOGIN_ERROR");
  expect(failure.data.data.item.executionStatus).toBe("INVALID_CREDENTIALS");
  expect(failure.data.message).toBe(failure.data.data.item.error.message);
  await expect(alert).toHaveText(failure.data.message);

  // The form is back, to correct the credentials.
  await fillCredentials(dialog, bank, USER, PASSWORD);
  await expect(dialog.getByRole("heading", { name: "Conta conectada" })).toBeVisible({ timeout: ITEM_TIMEOUT });
  const success = await waitForCallback(page, "onSuccess");
  expect(success.data.item.status).toBe("UPDATED");
  expect(success.data.item.id, "the retry updates the same Item").toBe(failure.data.data.item.id);
  expect((await events(page)).filter((e) => e === "SUBMITTED_LOGIN")).toHaveLength(2);
  const patch = calls.find((c) => c.method === "PATCH")!;
  expect(patch.path).toBe(`/items/${success.data.item.id}`);
  expect(Object.values(patch.body.parameters)).toContain(PASSWORD);
});

test("the MFA connector asks for the token and connects with 123456", async ({ page, request }) => {
  const connector = await mfaConnector(request);
  const dialog = await openConnect(page);
  await chooseConnector(dialog, connector.name);
  await fillCredentials(dialog, connector, USER, PASSWORD);

  // The widget renders `item.parameter`; read its label from the logged Item.
  let parameter: Credential | null = null;
  await expect
    .poll(
      async () => {
        const waiting = (await callbacks(page, "onEvent")).find(
          (e) => e.data.event === "ITEM_RESPONSE" && e.data.item.status === "WAITING_USER_INPUT",
        );
        parameter = waiting?.data.item.parameter ?? null;
        return parameter !== null;
      },
      { timeout: ITEM_TIMEOUT },
    )
    .toBe(true);
  const input = dialog.getByLabel(parameter!.label, { exact: true });
  await expect(input).toBeFocused();
  await input.fill(MFA_CODE);
  await dialog.getByRole("button", { name: "Enviar" }).click();

  await expect(dialog.getByRole("heading", { name: "Conta conectada" })).toBeVisible({ timeout: ITEM_TIMEOUT });
  const success = await waitForCallback(page, "onSuccess");
  expect(success.data.item.status).toBe("UPDATED");
  const seen = await events(page);
  expect(seen).toContain("SUBMITTED_MFA");
  expect(seen).toContain("LOGIN_MFA_SUCCESS");
});

test("user-locked shows the locked message and calls onError", async ({ page, request }) => {
  const bank = await pluggyBank(request);
  const dialog = await openConnect(page);
  await chooseConnector(dialog, "Pluggy Bank");
  await fillCredentials(dialog, bank, "user-locked", PASSWORD);

  const failure = await waitForCallback(page, "onError");
  const item = failure.data.data.item as Item;
  expect(item.executionStatus).toBe("ACCOUNT_LOCKED");
  expect(item.error?.message).toBeTruthy();
  expect(failure.data.message).toBe(item.error!.message);
  await expect(dialog.getByRole("alert")).toHaveText(item.error!.message);
  expect(await callbacks(page, "onSuccess")).toHaveLength(0);
});

test("Escape and the Close button close the widget and call onClose once", async ({ page }) => {
  let dialog = await openConnect(page);
  await expectFocusInside(dialog);
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await waitForCallback(page, "onClose");
  const opener = page.getByRole("button", { name: "Open Pluggy Connect" });
  await expect(opener).toBeFocused();
  await page.keyboard.press("Escape"); // nothing left to close: no second onClose
  expect(await callbacks(page, "onClose")).toHaveLength(1);

  // A new instance: the visible Close button.
  await opener.click();
  dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  await dialog.getByRole("button", { name: "Close", exact: true }).click();
  await expect(dialog).toBeHidden();
  await waitForCallback(page, "onClose", 2);
  expect(await callbacks(page, "onOpen")).toHaveLength(2);
});

test("update mode with ?itemId= refreshes that Item", async ({ page, request }) => {
  const bank = await pluggyBank(request);
  const item = await createItem(request, bank, PASSWORD);
  expect(item.status).toBe("UPDATED");

  const calls = recordApiCalls(page);
  const dialog = await openConnect(page, `?itemId=${item.id}`);
  // No institution list: the Item's connector is shown while it updates.
  await expect(dialog.getByRole("searchbox")).toHaveCount(0);
  await expect(dialog.getByRole("heading", { name: "Conta conectada" })).toBeVisible({ timeout: ITEM_TIMEOUT });
  const success = await waitForCallback(page, "onSuccess");
  expect(success.data.item.id).toBe(item.id);
  expect(success.data.item.status).toBe("UPDATED");
  expect(await events(page)).not.toContain("SUBMITTED_LOGIN");
  expect(calls[0]).toMatchObject({ method: "GET", path: `/items/${item.id}` });
  expect(calls.find((c) => c.method === "PATCH")).toMatchObject({ path: `/items/${item.id}`, body: {} });
  expect(calls.some((c) => c.method === "POST")).toBe(false);
});

test("update mode on a LOGIN_ERROR Item asks for the credentials again", async ({ page, request }) => {
  const bank = await pluggyBank(request);
  const item = await createItem(request, bank, "wrong-password");
  expect(item.status).toBe("LOGIN_ERROR");

  const calls = recordApiCalls(page);
  const dialog = await openConnect(page, `?itemId=${item.id}`);
  await expect(dialog.getByRole("heading", { name: bank.name, exact: true })).toBeVisible();
  await expect(dialog.getByRole("alert")).toBeVisible();
  await fillCredentials(dialog, bank, USER, PASSWORD);
  await expect(dialog.getByRole("heading", { name: "Conta conectada" })).toBeVisible({ timeout: ITEM_TIMEOUT });
  const success = await waitForCallback(page, "onSuccess");
  expect(success.data.item.id).toBe(item.id);
  expect(success.data.item.status).toBe("UPDATED");
  const patch = calls.find((c) => c.method === "PATCH")!;
  expect(patch.path).toBe(`/items/${item.id}`);
  expect(Object.values(patch.body.parameters)).toContain(PASSWORD);
  expect(calls.some((c) => c.method === "POST")).toBe(false);
});

test("an accessible dialog: labelled, modal, focus kept inside, no sideways scroll", async ({ page, request }) => {
  const bank = await pluggyBank(request);
  const dialog = await openConnect(page);
  await expect(dialog).toHaveAttribute("aria-modal", "true");
  const labelledBy = await dialog.getAttribute("aria-labelledby");
  expect(labelledBy).toBeTruthy();
  await expect(page.locator(`[id="${labelledBy}"]`)).toHaveText("Escolha sua instituição");
  await expect(dialog.getByRole("searchbox", { name: "Search institutions" })).toBeVisible();
  await expect(dialog.getByText("Buscar instituição")).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Close", exact: true })).toBeVisible();
  await expectFocusInside(dialog);
  await expectNoHorizontalScroll(page);

  // Tab and Shift+Tab never leave the dialog.
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Tab");
    await expectFocusInside(dialog);
  }
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press("Shift+Tab");
    await expectFocusInside(dialog);
  }

  // The dialog fits the viewport: a full-screen sheet on a phone, a centred card on desktop.
  const viewport = page.viewportSize()!;
  const box = (await dialog.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(viewport.width + 0.5);
  if (viewport.width <= 600) expect(Math.round(box.width)).toBe(viewport.width);
  else expect(box.width).toBeLessThan(viewport.width / 2);
  const inner = await dialog.evaluate((node) =>
    Array.from(node.querySelectorAll<HTMLElement>("*")).filter(
      (el) =>
        el.scrollWidth > el.clientWidth + 1 &&
        getComputedStyle(el).overflowX !== "visible" &&
        el.getBoundingClientRect().width > 1, // not the visually hidden live region
    ).length,
  );
  expect(inner, "elements that scroll sideways inside the dialog").toBe(0);

  // The credential form, too.
  await chooseConnector(dialog, "Pluggy Bank");
  const first = bank.credentials.find((c) => !c.mfa)!;
  await expect(dialog.getByLabel(first.label, { exact: true })).toBeFocused();
  await expectNoHorizontalScroll(page);
  await dialog.getByRole("button", { name: "Back", exact: true }).click();
  await expect(dialog.getByRole("searchbox", { name: "Search institutions" })).toBeFocused();
});

test("the SDK surface: show/hide need init, hide keeps the flow, destroy calls no onClose", async ({ page }) => {
  await page.goto(DEMO);
  const rejected = await page.evaluate(async () => {
    const PluggyConnect = (window as any).PluggyConnect;
    const outcome = (p: Promise<unknown>) => p.then(() => "resolved", () => "rejected");
    const widget = new PluggyConnect({ connectToken: "not-initialised" });
    return [await outcome(widget.show()), await outcome(widget.hide()), await outcome(new PluggyConnect({}).init())];
  });
  expect(rejected).toEqual(["rejected", "rejected", "rejected"]);

  // A widget of our own, on a real connect token.
  await page.evaluate(async (base) => {
    const post = async (path: string, body: unknown, key?: string) => {
      const headers: Record<string, string> = { "Content-Type": "application/json" };
      if (key) headers["X-API-KEY"] = key;
      return (await fetch(base + path, { method: "POST", headers, body: JSON.stringify(body) })).json();
    };
    const { apiKey } = await post("/auth", { clientId: "sandbox-client-id", clientSecret: "sandbox-client-secret" });
    const { accessToken } = await post("/connect_token", {}, apiKey);
    const calls: string[] = [];
    const widget = new (window as any).PluggyConnect({
      connectToken: accessToken,
      includeSandbox: true,
      onOpen: () => calls.push("onOpen"),
      onClose: () => calls.push("onClose"),
    });
    Object.assign(window, { __widget: widget, __calls: calls });
    await widget.init();
  }, BASE);
  const dialog = page.getByRole("dialog");
  await expect(dialog.getByRole("button", { name: "Pluggy Bank", exact: true })).toBeVisible();
  await dialog.getByRole("searchbox", { name: "Search institutions" }).fill("Pluggy");

  await page.evaluate(() => (window as any).__widget.hide());
  await expect(dialog).toBeHidden();
  await page.evaluate(() => (window as any).__widget.show());
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole("searchbox", { name: "Search institutions" })).toHaveValue("Pluggy");
  await expectFocusInside(dialog);

  await page.evaluate(() => (window as any).__widget.destroy());
  await expect(page.getByRole("dialog")).toHaveCount(0);
  expect(await page.evaluate(() => (window as any).__calls)).toEqual(["onOpen"]);
});
