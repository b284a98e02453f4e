import { expect, test, type Page, type TestInfo } from "@playwright/test";

/** A fresh address for each test, so tests run in parallel without clashing. */
export function uniqueEmail(testInfo: TestInfo): string {
  const id = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  return `e2e-${testInfo.project.name}-${id}@example.com`;
}

export const PASSWORD = "correct horse battery";

/** True in the projects that run with JavaScript disabled. */
export function jsDisabled(testInfo: TestInfo): boolean {
  return testInfo.project.use.javaScriptEnabled === false;
}

/** Waits until the WASM app has hydrated the page (no-op without JavaScript). */
export async function waitForHydration(page: Page, testInfo: TestInfo): Promise<void> {
  if (jsDisabled(testInfo)) return;
  // The Show/Hide password button is rendered by the WASM app only.
  await expect(page.getByRole("button", { name: "Show" })).toBeVisible();
}

/** Fails if the page can be scrolled sideways. */
export async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, "page scrolls sideways").toBeLessThanOrEqual(0);
}

export async function register(page: Page, testInfo: TestInfo, email: string, password = PASSWORD) {
  await page.goto("/register");
  await waitForHydration(page, testInfo);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
}

export async function signIn(page: Page, testInfo: TestInfo, email: string, password = PASSWORD) {
  await page.goto("/login");
  await waitForHydration(page, testInfo);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

export async function signOut(page: Page) {
  await page.getByLabel("Account menu").click();
  await page.getByRole("button", { name: "Sign out" }).click();
}

/**
 * Collects the page's exceptions and console errors (CSP violations,
 * hydration failures) for a test to assert there are none. "Failed to load
 * resource" (a 4xx answer the page expected) is left out. Chromium does not
 * log every CSP violation (e.g. a caught eval), but it always fires the
 * event, which is logged here.
 */
export async function watchConsole(page: Page): Promise<string[]> {
  const problems: string[] = [];
  await page.addInitScript(() =>
    document.addEventListener("securitypolicyviolation", (e) =>
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`),
    ),
  );
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(m.text());
  });
  return problems;
}

/**
 * Fails every test of the calling spec file on console errors, CSP
 * violations and page errors (hydration panics included), as collected by
 * [`watchConsole`]. Call once at the top level of a spec.
 */
export function failOnConsoleErrors(): void {
  let problems: string[] = [];
  test.beforeEach(async ({ page }) => {
    problems = await watchConsole(page);
  });
  test.afterEach(async () => {
    expect(problems, "console errors (CSP violations, exceptions, hydration)").toEqual([]);
  });
}

/** The sandbox's Plaid keys, for calling its API directly. */
export const PLAID_KEYS = { client_id: "sandbox_client_id", secret: "sandbox_secret" };

/**
 * Connects a sandbox Plaid bank for the signed-in user of `page` over the
 * REST API (as an app would, no widget): the sandbox makes a public token,
 * the app exchanges it and queues the first sync, which this waits for.
 */
export async function connectPlaidByApi(page: Page, institutionId = "ins_109508"): Promise<void> {
  const created = await page.request.post("/sandbox/plaid/sandbox/public_token/create", {
    data: { ...PLAID_KEYS, institution_id: institutionId, initial_products: ["transactions"] },
  });
  expect(created.status()).toBe(200);
  const connected = await page.request.post("/api/plaid/connect", {
    data: { public_token: (await created.json()).public_token },
  });
  expect(connected.status()).toBeLessThan(300);
  await waitForSyncs(page);
}

/** Waits until every sync run of the signed-in user has finished well. */
export async function waitForSyncs(page: Page): Promise<void> {
  await expect
    .poll(
      async () => {
        const logs = (await (await page.request.get("/api/sync-logs")).json()).sync_logs as { outcome: string }[];
        return logs.length > 0 && logs.every((l) => l.outcome === "success");
      },
      { timeout: 60_000 },
    )
    .toBe(true);
}

/** Registers through the API (the page's cookies), as every data test starts. */
export async function registerByApi(page: Page, email: string): Promise<void> {
  const res = await page.request.post("/api/auth/register", { data: { email, password: PASSWORD } });
  expect(res.status()).toBe(201);
}

/** Links a Pluggy sandbox bank as Pluggy Connect would (an Item made with the
 * connect token, which carries the user), and waits for the first sync.
 * Returns the Item's id. */
export async function connectPluggyByApi(page: Page): Promise<string> {
  const api = page.request;
  const link = await (await api.post("/api/pluggy/link-token", { data: {} })).json();
  const headers = { "X-API-KEY": link.link_token as string };
  const made = await api.post("/sandbox/pluggy/items", {
    headers,
    data: { connectorId: 0, parameters: { user: "user-ok", password: "password-ok" } },
  });
  expect(made.status()).toBe(200);
  const item = (await made.json()).id as string;
  await expect
    .poll(async () => (await (await api.get(`/sandbox/pluggy/items/${item}`, { headers })).json()).status, {
      timeout: 30_000,
    })
    .toBe("UPDATED");
  const connected = await api.post("/api/pluggy/connect", { data: { item_id: item } });
  expect(connected.status()).toBe(201);
  await waitForSyncs(page);
  return item;
}

/** Registers a new user with a bank of each provider linked and synced. */
export async function userWithBothProviders(page: Page, email: string): Promise<void> {
  await registerByApi(page, email);
  await connectPlaidByApi(page);
  await connectPluggyByApi(page);
}

/** Opens `path` and waits until `ready` shows and the network is quiet
 * (its data, and the WASM app where JavaScript runs). */
export async function openSettled(page: Page, path: string, ready: string): Promise<void> {
  await page.goto(path);
  await expect(page.locator(ready).first()).toBeVisible();
  await page.waitForLoadState("networkidle");
}

/** A full-page screenshot into the test's output folder. */
export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}
