import { expect, type Page, type TestInfo } from "@playwright/test";

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

/** Links a Plaid sandbox bank as Link would, and waits for the first sync. */
export async function connectPlaidByApi(page: Page, institution = "ins_109508"): Promise<void> {
  const api = page.request;
  const link = await (await api.post("/api/plaid/link-token", { data: {} })).json();
  const login = await (
    await api.post("/sandbox/plaid/__link/login", {
      data: { token: link.link_token, institution_id: institution, username: "user_good", password: "pass_good" },
    })
  ).json();
  const done = await (
    await api.post("/sandbox/plaid/__link/complete", {
      data: { token: link.link_token, login_token: login.login_token, account_ids: [] },
    })
  ).json();
  const made = await api.post("/api/plaid/connect", { data: { public_token: done.public_token } });
  expect(made.status()).toBe(201);
  await waitForSyncs(page);
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

/** A full-page screenshot into the test's output folder. */
export async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  await page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });
}
