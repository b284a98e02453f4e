// Syncing from the Connections page: "Sync all" with its progress and
// summary, each card's next scheduled sync, and the sync history (when,
// what started it, what changed, how it ended). Hydrated, the page follows
// the syncs live, also one it did not start (here the first sync after
// connecting over the API, slowed by the sandbox page by page); without
// JavaScript, Sync all is a form post and the history is a disclosure that
// opens natively.
import { expect, test, type Locator, type Page } from "@playwright/test";
import {
  connectPlaidByApi,
  expectNoHorizontalScroll,
  failOnConsoleErrors,
  jsDisabled,
  register,
  uniqueEmail,
} from "./helpers";

/** Sandbox syncs take seconds; a busy CI machine more. */
const SLOW = { timeout: 30_000 };
const BANKS = [
  { name: "First Platypus Bank", institution_id: "ins_109508" },
  { name: "First Gingham Credit Union", institution_id: "ins_109509" },
];
/** "21 Nov 2026, 14:03 UTC". */
const UTC_TIME = /\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC/;
const CHANGES = /\d+ new, \d+ updated, \d+ removed/;

failOnConsoleErrors();

/** A fresh user with `banks` connected over the API and their first syncs done. */
async function userWithBanks(page: Page, testInfo: Parameters<typeof register>[1], banks: typeof BANKS) {
  await register(page, testInfo, uniqueEmail(testInfo));
  await expect(page).toHaveURL(/\/$/);
  for (const bank of banks) await connectPlaidByApi(page, bank.institution_id);
  await expect
    .poll(async () => {
      const { connections } = await (await page.request.get("/api/connections")).json();
      return connections.filter((c: { syncing: boolean; last_synced_at: string | null }) => !c.syncing && c.last_synced_at)
        .length;
    }, SLOW)
    .toBe(banks.length);
}

function card(page: Page, name: string): Locator {
  return page.getByRole("article", { name });
}

/** The card's history disclosure, opened. */
async function openHistory(card: Locator): Promise<Locator> {
  const history = card.locator("details.sync-history");
  await history.getByText("Sync history").click();
  await expect(history).toHaveAttribute("open", "");
  return history.getByRole("listitem");
}

// ------------------------------------------------------------ hydrated

test.describe("with JavaScript", () => {
  test.beforeEach(({}, testInfo) => {
    test.skip(jsDisabled(testInfo), "follows syncs live");
    test.setTimeout(90_000);
  });

  test("Sync all follows every bank to a summary; cards show the schedule and history", async ({ page }, testInfo) => {
    await userWithBanks(page, testInfo, BANKS);
    await page.goto("/connections");
    // Enabled once the page has hydrated.
    await expect(page.getByRole("button", { name: "Connect a bank" })).toBeEnabled();

    for (const bank of BANKS) {
      const c = card(page, bank.name);
      await expect(c).toContainText(/Up to date/);
      await expect(c).toContainText(new RegExp(`Next scheduled sync: ${UTC_TIME.source}`));
    }
    // Opened before the sync: it stays open while the list reloads.
    const platypus = card(page, BANKS[0].name);
    const before = await openHistory(platypus);
    await expect(before.first()).toContainText("First sync after connecting");
    await expect(before.first()).toContainText(UTC_TIME);

    const control = page.getByRole("region", { name: "Sync all banks" });
    await control.getByRole("button", { name: "Sync all" }).click();
    // The first poll comes a second later: until then the syncs show as under way.
    await expect(control.getByRole("button", { name: "Syncing all…" })).toBeDisabled();
    await expect(control.getByRole("status")).toContainText(/Syncing 2 banks: [01] of 2 done…/);

    await expect(control.getByRole("status")).toContainText(
      new RegExp(`Synced 2 banks: ${CHANGES.source}\\.`),
      SLOW,
    );
    await expect(control.getByRole("button", { name: "Sync all" })).toBeEnabled();
    for (const bank of BANKS) {
      await expect(card(page, bank.name).getByRole("status")).toContainText(
        new RegExp(`Synced: ${CHANGES.source}`),
      );
    }

    // The list reloaded: the new run is in the (still open) history, newest first.
    const runs = platypus.locator("details.sync-history[open]").getByRole("listitem");
    await expect(runs.first()).toContainText("Requested by you", SLOW);
    await expect(runs.first()).toContainText(new RegExp(`${CHANGES.source} · \\d+ pages?`));
    await expect(runs.first()).toContainText(/Synced · took/);
    await expect(runs.filter({ hasText: "First sync after connecting" })).toHaveCount(1);
    await expect(platypus).toContainText(/Last synced (just now|\d+ minutes? ago)/);
    await expectNoHorizontalScroll(page);

    await page.screenshot({ path: testInfo.outputPath("connections.png"), fullPage: true });
  });
});

test.describe("with JavaScript, a sync started elsewhere", () => {
  test.beforeEach(({}, testInfo) => {
    test.skip(jsDisabled(testInfo), "follows syncs live");
    test.setTimeout(90_000);
  });

  test("is followed page by page, then the card refreshes", async ({ page }, testInfo) => {
    await register(page, testInfo, uniqueEmail(testInfo));
    await expect(page).toHaveURL(/\/$/);
    // A Pluggy item made as the widget makes it (with the app's connect
    // token, which names the user), so this test knows the item's id and
    // slows only its own transaction pages.
    const link = await page.request.post("/api/pluggy/link-token", { data: {} });
    expect(link.status()).toBe(200);
    const headers = { "X-API-KEY": (await link.json()).link_token };
    const made = await page.request.post("/sandbox/pluggy/items", {
      headers,
      data: { connectorId: 0, parameters: { user: "user-ok", password: "password-ok" } },
    });
    expect(made.status()).toBeLessThan(300);
    const item = (await made.json()).id as string;
    await expect
      .poll(async () => (await (await page.request.get(`/sandbox/pluggy/items/${item}`, { headers })).json()).status, SLOW)
      .toBe("UPDATED");
    const slow = await page.request.post("/sandbox/pluggy/__control/faults", {
      data: { path: "/v2/transactions", kind: "delay", delay_ms: 2_500, count: 4, item_id: item },
    });
    expect(slow.status()).toBeLessThan(300);
    const connected = await page.request.post("/api/pluggy/connect", { data: { item_id: item } });
    expect(connected.status()).toBeLessThan(300);
    const { connection_id } = await connected.json();

    // The page loads while the first sync runs: it follows it.
    await page.goto("/connections");
    const bank = page.getByRole("article").filter({ hasText: /Pluggy · \d+ accounts?/ });
    await expect(bank).toHaveCount(1);
    const status = bank.getByRole("status");
    await expect(status).toContainText(new RegExp(`Syncing: page \\d+ · ${CHANGES.source}`), SLOW);
    await expect(status).toContainText(new RegExp(`Synced: ${CHANGES.source}`), SLOW);
    // The list reloaded by itself: last synced and the history show the run.
    await expect(bank).toContainText(/Last synced just now/);
    const runs = await openHistory(bank);
    await expect(runs.first()).toContainText("First sync after connecting");
    await expect(runs.first()).toContainText(/Synced · took \d+ s/);
    const logs = await (await page.request.get(`/api/sync-logs?connection_id=${connection_id}`)).json();
    expect(logs.sync_logs[0].pages).toBeGreaterThan(1);
  });
});

// ---------------------------------------------------------- no JavaScript

test.describe("without JavaScript", () => {
  test.beforeEach(({}, testInfo) => {
    test.skip(!jsDisabled(testInfo), "checks the JavaScript-free page");
    test.setTimeout(60_000);
  });

  test("Sync all is a form post; the history and the schedule are on the page", async ({ page }, testInfo) => {
    const [bank] = BANKS;
    await userWithBanks(page, testInfo, [bank]);
    await page.goto("/connections");
    const c = card(page, bank.name);
    await expect(c).toContainText(new RegExp(`Next scheduled sync: ${UTC_TIME.source}`));
    const first = await openHistory(c);
    await expect(first).toHaveCount(1);
    await expect(first).toContainText("First sync after connecting");
    await expect(first).toContainText(new RegExp(`${CHANGES.source} · \\d+ pages?`));
    await expect(first).toContainText(/Synced · took/);

    await page.getByRole("region", { name: "Sync all banks" }).getByRole("button", { name: "Sync all" }).click();
    await expect(page).toHaveURL(/\/connections$/);
    await expect(card(page, bank.name)).toBeVisible();

    // No live updates without JavaScript: reload until the run has ended.
    await expect
      .poll(async () => {
        await page.reload();
        const runs = card(page, bank.name).locator("details.sync-history li", { hasText: "Requested by you" });
        return (await runs.count()) > 0 ? await runs.first().textContent() : "";
      }, SLOW)
      .toMatch(/Synced · took/);
    const runs = await openHistory(card(page, bank.name));
    await expect(runs.filter({ hasText: "Requested by you" }).first()).toBeVisible();
    await expect(runs.filter({ hasText: "First sync after connecting" })).toHaveCount(1);
    await expectNoHorizontalScroll(page);
  });
});
