// An automated accessibility audit (axe-core) of every page, hydrated, at
// phone and desktop size, in the light and the dark colour scheme: WCAG 2.2
// A and AA rules (contrast, names, labels, landmarks, ARIA) and axe's best
// practices. Any violation fails the test with the rule, its impact and the
// elements it found; the full report is attached to the test output.
//
// Without JavaScript the pages are the same server-rendered markup, which
// the hydrated run already audits; the no-JS projects skip.
import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import {
  failOnConsoleErrors,
  jsDisabled,
  openSettled as open,
  registerByApi,
  uniqueEmail,
  userWithBothProviders,
} from "./helpers";

const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];
const SCHEMES = ["light", "dark"] as const;

test.beforeEach(async ({}, testInfo) => {
  test.skip(jsDisabled(testInfo), "the hydrated run audits the same markup");
  test.setTimeout(120_000);
});
failOnConsoleErrors();

/** Audits the page as it is now in both colour schemes. */
async function audit(page: Page, testInfo: TestInfo, name: string) {
  for (const colorScheme of SCHEMES) {
    await page.emulateMedia({ colorScheme });
    // From the top, so nothing is half under the sticky header.
    await page.evaluate(() => window.scrollTo(0, 0));
    const results = await new AxeBuilder({ page }).withTags(TAGS).analyze();
    await testInfo.attach(`axe-${name}-${colorScheme}.json`, {
      body: JSON.stringify(results.violations, null, 2),
      contentType: "application/json",
    });
    const found = results.violations.map(
      (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
    );
    expect.soft(found, `accessibility of ${name} in the ${colorScheme} scheme`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: "light" });
}

test("signed-out pages", async ({ page }, testInfo) => {
  await open(page, "/login", "form");
  await audit(page, testInfo, "sign-in");
  await open(page, "/register", "form");
  await audit(page, testInfo, "register");
  await open(page, "/no-such-page", "main h1");
  await audit(page, testInfo, "not-found");
});

test("a new user's empty pages", async ({ page }, testInfo) => {
  await registerByApi(page, uniqueEmail(testInfo));
  await open(page, "/", "main h1");
  await audit(page, testInfo, "empty-dashboard");
  await open(page, "/transactions", "main h1");
  await audit(page, testInfo, "empty-transactions");
  await open(page, "/connections", "main h1");
  await audit(page, testInfo, "empty-connections");
});

test("pages with both providers' data", async ({ page }, testInfo) => {
  await userWithBothProviders(page, uniqueEmail(testInfo));

  await open(page, "/", ".account-card");
  await audit(page, testInfo, "dashboard");

  await open(page, "/transactions", "a.txn");
  await page.getByText("More filters").click();
  await audit(page, testInfo, "transactions");

  await page.locator("a.txn").first().click();
  await expect(page).toHaveURL(/\/transactions\/[0-9a-f-]{36}/);
  await expect(page.getByLabel("Category")).toBeVisible();
  await audit(page, testInfo, "transaction");

  await open(page, "/connections", ".connection-card");
  for (const history of await page.locator("details.sync-history > summary").all()) await history.click();
  await audit(page, testInfo, "connections");
});
