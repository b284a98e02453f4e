// The foundation flows, in every project (phone / desktop × hydrated / no JS).
import { expect, test } from "@playwright/test";
import {
  PASSWORD,
  expectNoHorizontalScroll,
  jsDisabled,
  register,
  signIn,
  signOut,
  uniqueEmail,
  waitForHydration,
} from "./helpers";

test("register, land on the dashboard, sign out, sign in again", async ({ page }, testInfo) => {
  const email = uniqueEmail(testInfo);
  await register(page, testInfo, email);

  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { name: "Dashboard", level: 1 })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Connect your first bank" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Connect a bank" })).toBeVisible();
  await expect(page.locator(".badge-sandbox")).toHaveText("Sandbox");
  await expectNoHorizontalScroll(page);

  // Navigation reaches every section.
  const nav = page.getByRole("navigation", { name: "Main" }).filter({ visible: true });
  await nav.getByRole("link", { name: "Transactions" }).click();
  await expect(page.getByRole("heading", { name: "Transactions", level: 1 })).toBeVisible();
  await nav.getByRole("link", { name: "Connections" }).click();
  await expect(page.getByRole("heading", { name: "Connections", level: 1 })).toBeVisible();
  await expectNoHorizontalScroll(page);

  await signOut(page);
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();

  // Signed out, the dashboard sends you to sign in.
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);

  await signIn(page, testInfo, email);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole("heading", { name: "Dashboard", level: 1 })).toBeVisible();
  await expect(page.getByLabel("Account menu")).toBeVisible();
});

test("wrong credentials and bad input are explained in place", async ({ page }, testInfo) => {
  const email = uniqueEmail(testInfo);
  await register(page, testInfo, email, "short");
  await expect(page.getByRole("alert")).toHaveText("Use at least 10 characters for your password.");
  await expect(page).toHaveURL(/\/register/);

  await register(page, testInfo, email);
  await expect(page.getByRole("heading", { name: "Dashboard", level: 1 })).toBeVisible();
  await signOut(page);
  await expect(page).toHaveURL(/\/login$/);

  await register(page, testInfo, email.toUpperCase());
  await expect(page.getByRole("alert")).toHaveText("An account with this email already exists. Sign in instead.");

  await signIn(page, testInfo, email, "not the password");
  await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");
  await signIn(page, testInfo, `nobody-${email}`, PASSWORD);
  await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");
  await expectNoHorizontalScroll(page);
});

test("the page hydrates: client-side interactions work", async ({ page }, testInfo) => {
  test.skip(jsDisabled(testInfo), "needs JavaScript");
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));

  await page.goto("/login");
  await waitForHydration(page, testInfo);
  const password = page.getByLabel("Password", { exact: true });
  await password.fill("visible?");
  await expect(password).toHaveAttribute("type", "password");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(password).toHaveAttribute("type", "text");
  await expect(page.getByRole("button", { name: "Hide" })).toHaveAttribute("aria-pressed", "true");

  // Client-side navigation: no full page load between sign-in and register.
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
  await page.getByRole("link", { name: "Create an account" }).click();
  await expect(page.getByRole("heading", { name: "Create your account" })).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(42);
  expect(errors, "console errors").toEqual([]);
});

test("without JavaScript the pages are complete server-rendered HTML", async ({ page }, testInfo) => {
  test.skip(!jsDisabled(testInfo), "checks the no-JS rendering");
  await page.goto("/login");
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Show" })).toHaveCount(0);
  await expect(page.getByLabel("Password", { exact: true })).toBeVisible();
});

test("unknown pages answer 404 with a way back", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Go to the dashboard" })).toBeVisible();
  await expectNoHorizontalScroll(page);
});
