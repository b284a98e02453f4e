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

/** The sandbox's Plaid keys, for calling its API directly. */
export const PLAID_KEYS = { client_id: "sandbox_client_id", secret: "sandbox_secret" };

/**
 * Connects a sandbox Plaid bank for the signed-in user of `page` over the
 * REST API (as an app would, no widget): the sandbox makes a public token,
 * the app exchanges it and queues the first sync.
 */
export async function connectPlaidByApi(page: Page, institutionId: string): Promise<void> {
  const created = await page.request.post("/sandbox/plaid/sandbox/public_token/create", {
    data: { ...PLAID_KEYS, institution_id: institutionId, initial_products: ["transactions"] },
  });
  expect(created.status()).toBe(200);
  const connected = await page.request.post("/api/plaid/connect", {
    data: { public_token: (await created.json()).public_token },
  });
  expect(connected.status()).toBeLessThan(300);
}
