// Connecting banks from the Connections page, through the sandbox's Plaid
// Link and Pluggy Connect emulations: the connection card, its accounts on
// the dashboard, Sync now with its result, and Disconnect with confirmation.
// The widgets need JavaScript, so those run in the hydrated projects; the
// JavaScript-free projects check that the page still lists connections,
// says connecting needs JavaScript, and that Disconnect works as a form post.
import { expect, test, type APIRequestContext, type Locator, type Page } from "@playwright/test";
import {
  connectPlaidByApi,
  expectNoHorizontalScroll,
  failOnConsoleErrors,
  jsDisabled,
  register,
  uniqueEmail,
} from "./helpers";

/** Widget flows and sandbox syncs take seconds; a busy CI machine more. */
const SLOW = { timeout: 30_000 };
const PLATYPUS = { name: "First Platypus Bank", institution_id: "ins_109508" };
const PLUGGY_CLIENT = { clientId: "sandbox-client-id", clientSecret: "sandbox-client-secret" };

type Credential = { name: string; label: string; type?: string; mfa?: boolean; optional?: boolean };
type Connector = { id: number; name: string; isSandbox?: boolean; credentials: Credential[] };

// 4xx answers (a wrong password in a widget) are logged as "Failed to load
// resource" and left out.
failOnConsoleErrors();

// ---------------------------------------------------------------- helpers

/** A fresh user, signed in, on the hydrated Connections page. */
async function openConnections(page: Page, testInfo: Parameters<typeof register>[1]) {
  await register(page, testInfo, uniqueEmail(testInfo));
  await expect(page).toHaveURL(/\/$/);
  await page.goto("/connections");
  await expect(page.getByRole("heading", { name: "Connections", level: 1 })).toBeVisible();
  // Enabled once the page has hydrated.
  await expect(page.getByRole("button", { name: "Connect a bank" })).toBeEnabled();
}

async function chooseProvider(page: Page, provider: "Plaid" | "Pluggy"): Promise<Locator> {
  await page.getByRole("button", { name: "Connect a bank" }).click();
  const chooser = page.getByRole("region", { name: "Where is your bank?" });
  await expect(chooser).toBeVisible();
  await chooser.getByRole("button", { name: new RegExp(`^${provider}\\b`) }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible(SLOW);
  return dialog;
}

function card(page: Page, name: string): Locator {
  return page.getByRole("article", { name });
}

/** Waits for the result of the sync the page is following on `card`. */
async function expectSynced(card: Locator) {
  await expect(card.getByRole("status")).toContainText(/Synced: \d+ new, \d+ updated, \d+ removed/, SLOW);
}

async function syncNow(card: Locator) {
  await card.getByRole("button", { name: "Sync now" }).click();
  await expect(card.getByRole("button", { name: "Syncing…" })).toBeDisabled();
  await expectSynced(card);
  await expect(card.getByRole("button", { name: "Sync now" })).toBeEnabled();
}

async function disconnect(page: Page, card: Locator) {
  await card.getByText("Disconnect", { exact: true }).click();
  await expect(card.getByText(/Remove .* from Tributary\?/)).toBeVisible();
  await card.getByRole("button", { name: "Yes, disconnect" }).click();
  await expect(card).toHaveCount(0, SLOW);
}

async function expectAccountsOnDashboard(page: Page, institution: string, currency: RegExp) {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Accounts" })).toBeVisible();
  // Accounts are grouped under their bank.
  const accounts = page.getByRole("region", { name: institution }).getByRole("article");
  await expect(accounts.first()).toBeVisible();
  expect(await accounts.count()).toBeGreaterThan(0);
  await expect(accounts.first()).toContainText(currency);
  await expectNoHorizontalScroll(page);
}

async function pluggyConnector(request: APIRequestContext, name: string): Promise<Connector> {
  const auth = await request.post("/sandbox/pluggy/auth", { data: PLUGGY_CLIENT });
  expect(auth.status()).toBe(200);
  const headers = { "X-API-KEY": (await auth.json()).apiKey };
  const res = await request.get("/sandbox/pluggy/connectors?sandbox=true", { headers });
  expect(res.status()).toBe(200);
  const connector = ((await res.json()).results as Connector[]).find((c) => c.name === name);
  expect(connector, `a sandbox connector named ${name}`).toBeTruthy();
  return connector!;
}

// ------------------------------------------------------------ hydrated

test.describe("with JavaScript", () => {
  test.beforeEach(({}, testInfo) => {
    test.skip(jsDisabled(testInfo), "the provider widgets need JavaScript");
    test.setTimeout(120_000);
  });

  test("connect through Plaid Link, see the accounts, sync now, relink, disconnect", async ({ page }, testInfo) => {
    await openConnections(page, testInfo);
    await expect(page.getByText("No banks connected yet")).toBeVisible();

    const dialog = await chooseProvider(page, "Plaid");
    await dialog.getByLabel("Search institutions").fill("first platypus");
    await dialog.getByRole("button", { name: PLATYPUS.name }).click();
    await expect(dialog.getByRole("heading", { name: `Log in to ${PLATYPUS.name}` })).toBeVisible();
    await dialog.getByLabel("Username").fill("user_good");
    await dialog.getByLabel("Password").fill("pass_good");
    await dialog.getByRole("button", { name: "Submit" }).click();
    await expect(dialog.getByRole("heading", { name: "Select accounts" })).toBeVisible(SLOW);
    await dialog.getByRole("button", { name: "Continue" }).click();
    await expect(dialog.getByRole("heading", { name: "Success" })).toBeVisible(SLOW);
    await dialog.getByRole("button", { name: "Continue" }).click();
    await expect(dialog).toBeHidden();

    await expect(page.getByText(new RegExp(`Connected ${PLATYPUS.name}: \\d+ accounts?`))).toBeVisible(SLOW);
    const platypus = card(page, PLATYPUS.name);
    await expect(platypus).toBeVisible();
    await expect(platypus).toContainText(/Plaid · \d+ accounts?/);
    await expect(page.getByText("No banks connected yet")).toHaveCount(0);
    // The first sync starts with the connection; the card follows it.
    await expectSynced(platypus);
    await expect(platypus).toContainText("Up to date", SLOW);
    await expect(platypus).toContainText(/Last synced (just now|\d+ minutes? ago)/, SLOW);
    await expectNoHorizontalScroll(page);

    await syncNow(platypus);

    // Relink from the card menu: Link in update mode goes straight to the login.
    await platypus.getByLabel(`More actions for ${PLATYPUS.name}`).click();
    await platypus.getByRole("button", { name: "Relink" }).click();
    const update = page.getByRole("dialog");
    await expect(update.getByRole("heading", { name: `Log in again to ${PLATYPUS.name}` })).toBeVisible(SLOW);
    await update.getByLabel("Username").fill("user_good");
    await update.getByLabel("Password").fill("pass_good");
    await update.getByRole("button", { name: "Submit" }).click();
    await expect(update.getByRole("heading", { name: "Success" })).toBeVisible(SLOW);
    await update.getByRole("button", { name: "Continue" }).click();
    await expect(update).toBeHidden();
    await expect(page.getByText(`Relinked ${PLATYPUS.name}. Syncing it now.`)).toBeVisible(SLOW);
    await expect(page.getByRole("article")).toHaveCount(1);
    await expectSynced(platypus);

    await expectAccountsOnDashboard(page, PLATYPUS.name, /\$[\d,]+\.\d\d/);

    await page.goto("/connections");
    await expect(page.getByRole("button", { name: "Connect a bank" })).toBeEnabled();
    await disconnect(page, card(page, PLATYPUS.name));
    await expect(page.getByText("No banks connected yet")).toBeVisible();
  });

  test("connect through Pluggy Connect, see the accounts, sync now, relink, disconnect", async ({ page, request }, testInfo) => {
    const bank = await pluggyConnector(request, "Pluggy Bank");
    await openConnections(page, testInfo);

    const dialog = await chooseProvider(page, "Pluggy");
    await dialog.getByRole("searchbox", { name: "Search institutions" }).fill(bank.name);
    await dialog.getByRole("button", { name: bank.name, exact: true }).click();
    await expect(dialog.getByRole("heading", { name: bank.name, exact: true })).toBeVisible();
    for (const credential of bank.credentials.filter((c) => !c.mfa && !c.optional)) {
      const value = credential.type === "password" ? "password-ok" : "user-ok";
      await dialog.getByLabel(credential.label, { exact: true }).fill(value);
    }
    await dialog.getByRole("button", { name: "Conectar" }).click();

    // The Item goes UPDATING → UPDATED; an MFA connector asks for a code first.
    const connected = dialog.getByRole("heading", { name: "Conta conectada" });
    const mfa = dialog.getByRole("button", { name: "Enviar" });
    await expect(connected.or(mfa)).toBeVisible(SLOW);
    if (await mfa.isVisible()) {
      await page.keyboard.type("123456");
      await mfa.click();
    }
    await expect(connected).toBeVisible(SLOW);
    await dialog.getByRole("button", { name: "Concluir" }).click();
    await expect(dialog).toBeHidden();

    await expect(page.getByText(/Connected .+: \d+ accounts?/)).toBeVisible(SLOW);
    const pluggy = page.getByRole("article").filter({ hasText: /Pluggy · \d+ accounts?/ });
    await expect(pluggy).toHaveCount(1);
    const name = (await pluggy.getByRole("heading").textContent())!.trim();
    expect(name).not.toBe("");
    await expectSynced(pluggy);

    await syncNow(pluggy);

    // Relink: Pluggy Connect in update mode on this Item refreshes it without a form.
    await pluggy.getByLabel(`More actions for ${name}`).click();
    await pluggy.getByRole("button", { name: "Relink" }).click();
    const update = page.getByRole("dialog");
    await expect(update.getByRole("heading", { name: "Conta conectada" })).toBeVisible(SLOW);
    await update.getByRole("button", { name: "Concluir" }).click();
    await expect(update).toBeHidden();
    await expect(page.getByText(`Relinked ${name}. Syncing it now.`)).toBeVisible(SLOW);
    await expect(page.getByRole("article")).toHaveCount(1);
    await expectSynced(pluggy);

    await expectAccountsOnDashboard(page, name, /R\$[\d,]+\.\d\d/);

    await page.goto("/connections");
    await expect(page.getByRole("button", { name: "Connect a bank" })).toBeEnabled();
    await disconnect(page, card(page, name));
    await expect(page.getByText("No banks connected yet")).toBeVisible();
  });

  test("closing the widget without connecting says so", async ({ page }, testInfo) => {
    await openConnections(page, testInfo);
    const dialog = await chooseProvider(page, "Plaid");
    await page.keyboard.press("Escape");
    await expect(dialog).toBeHidden();
    await expect(page.getByText("No bank was connected: the window was closed.")).toBeVisible();
    await expect(page.getByRole("button", { name: "Connect a bank" })).toBeEnabled();
  });
});

// ---------------------------------------------------------- no JavaScript

test.describe("without JavaScript", () => {
  test.beforeEach(({}, testInfo) => {
    test.skip(!jsDisabled(testInfo), "checks the JavaScript-free page");
  });

  test("lists connections, explains connecting needs JavaScript, disconnects by form post", async ({
    page,
  }, testInfo) => {
    await register(page, testInfo, uniqueEmail(testInfo));
    await expect(page).toHaveURL(/\/$/);

    await page.goto("/connections");
    await expect(page.getByText("No banks connected yet")).toBeVisible();
    // A <noscript>, whose text Playwright's text queries skip: read from the DOM.
    const notice = page.locator("#needs-js");
    await expect(notice).toBeVisible();
    expect(await notice.evaluate((e) => e.textContent)).toMatch(/Connecting or relinking a bank .* needs JavaScript/);
    await expect(page.getByRole("button", { name: "Connect a bank" })).toBeDisabled();

    // A connection made over the REST API, as the session's user.
    await connectPlaidByApi(page, PLATYPUS.institution_id);

    await page.goto("/connections");
    const platypus = card(page, PLATYPUS.name);
    await expect(platypus).toBeVisible();
    await expect(platypus).toContainText(/Plaid · \d+ accounts?/);
    await expectNoHorizontalScroll(page);

    // Sync now is a plain form post too: back on this page, the card is listed.
    await platypus.getByRole("button", { name: "Sync now" }).click();
    await expect(page).toHaveURL(/\/connections$/);
    await expect(card(page, PLATYPUS.name)).toBeVisible();

    await disconnect(page, card(page, PLATYPUS.name));
    await expect(page).toHaveURL(/\/connections$/);
    await expect(page.getByText("No banks connected yet")).toBeVisible();
  });
});
