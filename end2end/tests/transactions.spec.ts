// The dashboard's overview and the Transactions page over a Plaid sandbox connection made through the
// REST API (the widget flow itself is covered by connect.spec.ts): the list
// by day, search, paging, with and without JavaScript.
import { expect, test, type Page } from "@playwright/test";
import { PASSWORD, uniqueEmail } from "./helpers";

/** Registers, links a Plaid sandbox bank as Link would, and waits for the first sync. */
async function connectedUser(page: Page, email: string) {
  const api = page.request;
  expect((await api.post("/api/auth/register", { data: { email, password: PASSWORD } })).status()).toBe(201);
  const link = await (await api.post("/api/plaid/link-token", { data: {} })).json();
  const login = await (
    await api.post("/sandbox/plaid/__link/login", {
      data: { token: link.link_token, institution_id: "ins_109508", username: "user_good", password: "pass_good" },
    })
  ).json();
  const done = await (
    await api.post("/sandbox/plaid/__link/complete", {
      data: { token: link.link_token, login_token: login.login_token, account_ids: [] },
    })
  ).json();
  const made = await api.post("/api/plaid/connect", { data: { public_token: done.public_token } });
  expect(made.status()).toBe(201);
  await expect
    .poll(async () => (await (await api.get("/api/sync-logs")).json()).sync_logs[0]?.outcome, { timeout: 60_000 })
    .toBe("success");
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
  await page.getByRole("link", { name: "Clear" }).click();
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
