// The Transactions page over a Plaid sandbox connection made through the
// REST API (the widget flow itself is covered by connect.spec.ts): the list
// by day, search, paging, more filters, editing a transaction (kept across a
// sync) and the CSV export, with and without JavaScript.
import { readFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { connectPlaidByApi, failOnConsoleErrors, registerByApi, screenshot, uniqueEmail, waitForSyncs } from "./helpers";

// Each test links a bank and waits for its first sync (~2,000 transactions).
test.beforeEach(() => test.setTimeout(90_000));
failOnConsoleErrors();

/** Registers and links a Plaid sandbox bank, first sync done. */
async function connectedUser(page: Page, email: string) {
  await registerByApi(page, email);
  await connectPlaidByApi(page);
}

/** Opens the "More filters" disclosure unless a filter in it keeps it open. */
async function openMoreFilters(page: Page) {
  if ((await page.locator("details.more-filters").getAttribute("open")) === null) {
    await page.getByText("More filters").click();
  }
}

/** "1–50 of 312" → 312. */
async function totalCount(page: Page): Promise<number> {
  const text = (await page.locator(".list-count").textContent()) ?? "";
  const match = text.match(/of (\d+)$/);
  expect(match, text).not.toBeNull();
  return Number(match![1]);
}

test("transactions by day, searched and paged", async ({ page }, testInfo) => {
  await connectedUser(page, uniqueEmail(testInfo));
  await page.goto("/");
  const overview = page.getByRole("article", { name: "USD overview" });
  await expect(overview).toContainText("Net balance · USD");
  await expect(overview).toContainText(/Out this month\s*\$[\d,]+\.\d\d/);
  await page.goto("/transactions");
  await expect(page.getByRole("heading", { name: "Transactions", level: 1 })).toBeVisible();
  await expect(page.locator(".txn").first()).toBeVisible();
  await expect(page.getByText(/^1–50 of \d+$/)).toBeVisible();
  await expect(page.locator(".txn")).toHaveCount(50);

  await page.getByRole("link", { name: "Older →" }).click();
  await expect(page).toHaveURL(/offset=50/);
  await expect(page.getByText(/^51–100 of \d+$/)).toBeVisible();
  await page.getByRole("link", { name: "← Newer" }).click();
  await expect(page.getByText(/^1–50 of \d+$/)).toBeVisible();

  await page.getByLabel("Search").fill("acme");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/q=acme/);
  const rows = page.locator(".txn");
  await expect(rows.first()).toContainText("ACME Corp");
  for (const title of await page.locator(".txn-title").allTextContents()) {
    expect(title).toBe("ACME Corp");
  }
  for (const amount of await page.locator(".txn-amount").allTextContents()) {
    expect(amount).toMatch(/^\+\$[\d,]+\.\d\d$/);
  }

  await page.getByLabel("Search").fill("no such merchant anywhere");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page.getByRole("heading", { name: "No transactions match" })).toBeVisible();
  await page.getByRole("link", { name: "Clear", exact: true }).click();
  await expect(page.getByText(/^1–50 of \d+$/)).toBeVisible();

  await page.getByLabel("Category").selectOption({ label: "Income" });
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/category=INCOME/);
  await expect(page.locator(".txn").first()).toBeVisible();
  for (const category of await page.locator(".txn-category").allTextContents()) {
    expect(category).toBe("Income");
  }
  await expect(page.getByLabel("Category")).toHaveValue("INCOME");
});

test("amount and status filters, kept in the URL", async ({ page }, testInfo) => {
  await connectedUser(page, uniqueEmail(testInfo));
  await page.goto("/transactions");
  await openMoreFilters(page);
  await page.getByLabel("Amount from").fill("100");
  await page.getByLabel("Status").selectOption("posted");
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/min=100/);
  await expect(page).toHaveURL(/status=posted/);
  await expect(page.locator(".txn").first()).toBeVisible();
  await expect(page.getByLabel("Amount from"), "the form shows the filter").toHaveValue("100");
  await expect(page.locator(".badge-pending")).toHaveCount(0);
  for (const amount of await page.locator(".txn-amount").allTextContents()) {
    expect(Number(amount.replace(/[^\d.]/g, ""))).toBeGreaterThanOrEqual(100);
  }
  await screenshot(page, testInfo, "transactions-filtered");
});

test("edit a transaction: category, note and hidden survive a sync", async ({ page }, testInfo) => {
  await connectedUser(page, uniqueEmail(testInfo));
  await page.goto("/transactions?status=posted");
  const first = page.locator(".txn").first();
  const href = (await first.getAttribute("href"))!;
  const id = href.split("?")[0].split("/").pop()!;
  const row = () => page.locator(`a.txn[href^="/transactions/${id}?"]`);
  await first.click();
  await expect(page).toHaveURL(new RegExp(`/transactions/${id}`));
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  await expect(page.getByText("Bank's category", { exact: true })).toBeVisible();
  await screenshot(page, testInfo, "transaction-details");

  await page.getByLabel("Category").fill("Team lunches");
  await page.getByLabel("Note").fill("Paid for the whole team");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page, "back to the list it came from").toHaveURL(/\/transactions\?status=posted$/);
  await expect(row()).toContainText("Team lunches");
  await expect(row()).toContainText("Note");

  // A sync re-reads the provider's data; the user's fields stay.
  expect((await page.request.post("/api/transactions/sync", { data: {} })).status()).toBe(202);
  await waitForSyncs(page);
  await page.reload();
  await expect(row()).toContainText("Team lunches");

  // Hidden: gone from the list until asked for.
  await row().click();
  await expect(page.getByLabel("Note")).toHaveValue("Paid for the whole team");
  await page.getByLabel("Hide from lists and totals").check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page).toHaveURL(/\/transactions\?status=posted$/);
  await expect(page.locator(".txn").first()).toBeVisible();
  await expect(row()).toHaveCount(0);
  await openMoreFilters(page);
  await page.getByLabel("Show hidden transactions").check();
  await page.getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/hidden=1/);
  await expect(row()).toContainText("Hidden");
});

test("export the filtered list as CSV", async ({ page }, testInfo) => {
  await connectedUser(page, uniqueEmail(testInfo));
  await page.goto("/transactions?q=acme");
  await expect(page.locator(".txn").first()).toBeVisible();
  const count = await totalCount(page);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "Export CSV" }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^tributary-transactions-\d{4}-\d{2}-\d{2}\.csv$/);
  const lines = readFileSync((await download.path())!, "utf8").trimEnd().split("\r\n");
  expect(lines[0]).toBe("date,name,merchant,category,account,amount,currency,status,note,hidden");
  expect(lines.length - 1).toBe(count);
  for (const line of lines.slice(1)) expect(line).toContain("ACME");
});
