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
