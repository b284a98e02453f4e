// The dashboard with a bank of each provider (connected through the REST API
// as the widgets would; the widgets themselves are covered by
// connect.spec.ts): totals per currency, accounts grouped by bank with their
// health, the spending chart with its numbers as text, recent transactions,
// and a broken connection surfacing with its fix. Hydrated and JS-off.
import { expect, test } from "@playwright/test";
import {
  connectPluggyByApi,
  expectNoHorizontalScroll,
  failOnConsoleErrors,
  registerByApi,
  screenshot,
  uniqueEmail,
  userWithBothProviders,
} from "./helpers";

test.beforeEach(() => test.setTimeout(90_000));
failOnConsoleErrors();

test("a new user is invited to connect a bank", async ({ page }, testInfo) => {
  await registerByApi(page, uniqueEmail(testInfo));
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Connect your first bank" })).toBeVisible();
  await page.getByRole("link", { name: "Connect a bank" }).click();
  await expect(page).toHaveURL(/\/connections$/);
});

test("totals, accounts by bank, spending chart and recent transactions", async ({ page }, testInfo) => {
  await userWithBothProviders(page, uniqueEmail(testInfo));
  await page.goto("/");

  // One overview per currency, never converted.
  await expect(page.getByRole("article", { name: "USD overview" })).toContainText(/Net balance · USD\s*-?\$[\d,]+\.\d\d/);
  await expect(page.getByRole("article", { name: "BRL overview" })).toContainText(/Net balance · BRL\s*-?R\$[\d,]+\.\d\d/);

  // Accounts under their bank, with the bank's health and last sync.
  const groups = page.locator(".institution-group");
  await expect(groups).toHaveCount(2);
  const plaid = page.getByRole("region", { name: "First Platypus Bank" });
  await expect(plaid.locator(".status-pill")).toHaveText("Up to date");
  await expect(plaid).toContainText(/Synced (just now|\d+ minutes? ago)/);
  expect(await plaid.getByRole("article").count()).toBeGreaterThanOrEqual(2);
  await expect(plaid.getByRole("article").first()).toContainText(/\$[\d,]+\.\d\d/);
  await expect(groups.nth(1).getByRole("article").first()).toContainText(/R\$[\d,]+\.\d\d/);
  // Credit cards show how much of the limit is used.
  const credit = page.getByRole("progressbar", { name: "Credit used" });
  expect(await credit.count()).toBeGreaterThanOrEqual(1);
  await expect(credit.first()).toHaveAttribute("aria-valuetext", /of .* limit used/);
  // One day of snapshots so far: the sparkline says so, in its own place.
  await expect(page.getByText("Balance history grows with each day's sync").first()).toBeVisible();

  // Spending by category: a chart, and the numbers as text.
  const spending = page.getByRole("region", { name: "Spending this month" });
  await expect(spending.getByRole("img", { name: /Spending by category in USD/ })).toBeVisible();
  const legend = spending.locator(".legend").first();
  expect(await legend.locator("li").count()).toBeGreaterThanOrEqual(2);
  await expect(legend.locator("li").first()).toContainText(/\$[\d,]+\.\d\d\s*\d+%/);
  // A category opens its transactions for the month.
  const category = legend.getByRole("link").first();
  const label = (await category.textContent())!.trim();
  await category.click();
  await expect(page).toHaveURL(/\/transactions\?start=\d{4}-\d{2}-01&end=\d{4}-\d{2}-\d{2}&category=[^&]+$/);
  await expect(page.locator(".txn-category").first()).toHaveText(label);

  await page.goto("/");
  const recent = page.getByRole("region", { name: "Recent transactions" });
  await expect(recent.locator(".txn")).toHaveCount(8);
  await expectNoHorizontalScroll(page);
  await screenshot(page, testInfo, "dashboard");
});

test("a broken connection shows at the top with its fix", async ({ page }, testInfo) => {
  await registerByApi(page, uniqueEmail(testInfo));
  const itemId = await connectPluggyByApi(page);
  const connection = (await (await page.request.get("/api/connections")).json()).connections[0];
  // The bank starts refusing the login; the next sync finds out.
  const broken = await page.request.post(`/sandbox/pluggy/__control/items/${itemId}/status`, {
    data: { status: "LOGIN_ERROR" },
  });
  expect(broken.ok()).toBe(true);
  expect((await page.request.post("/api/transactions/sync", { data: {} })).status()).toBe(202);
  // The run has ended (not only the status changed): nothing is syncing
  // while the page is read.
  await expect
    .poll(async () => (await (await page.request.get("/api/sync-logs")).json()).sync_logs[0].outcome, {
      timeout: 30_000,
    })
    .toBe("needs_relink");
  expect((await (await page.request.get("/api/connections")).json()).connections[0].status).toBe("needs_relink");

  await page.goto("/");
  const attention = page.getByRole("region", { name: "Needs your attention" });
  await expect(attention).toContainText(connection.institution_name);
  await expect(page.locator(".institution-group .status-pill")).toHaveText("Sign-in needed");
  await attention.getByRole("link", { name: "Reconnect" }).click();
  await expect(page).toHaveURL(new RegExp(`/connections#connection-${connection.id}$`));
  await expect(page.getByRole("heading", { name: connection.institution_name })).toBeVisible();
  await screenshot(page, testInfo, "connections-needs-relink");
});
