// A screenshot of every page, at phone and desktop size, for the README and
// for people reviewing a change: with a bank of each provider connected and
// one transaction edited. Saved in the test output; `make screenshots` also
// copies them to end2end/screenshots/ (SCREENSHOTS_DIR), which the README shows.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { connectPlaidByApi, connectPluggyByApi, jsDisabled, registerByApi, uniqueEmail } from "./helpers";

async function capture(page: Page, testInfo: TestInfo, name: string) {
  // Let fonts and images settle so the picture is what a person sees.
  await page.evaluate(() => document.fonts.ready);
  // A full-page picture draws fixed elements where the first screen has
  // them; the phone's tab bar goes to the end of the page instead, where a
  // person who scrolled down sees it.
  await page.addStyleTag({ content: "body { position: relative; } .bottom-nav { position: absolute !important; }" });
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  const dir = process.env.SCREENSHOTS_DIR;
  if (dir) {
    mkdirSync(dir, { recursive: true });
    copyFileSync(path, join(dir, `${testInfo.project.name}-${name}.png`));
  }
}

test("every page, as a person sees it", async ({ page }, testInfo) => {
  test.skip(jsDisabled(testInfo), "the pictures are of the hydrated app");
  test.setTimeout(120_000);
  await registerByApi(page, uniqueEmail(testInfo));
  await connectPlaidByApi(page);
  await connectPluggyByApi(page);

  await page.goto("/");
  await expect(page.getByRole("region", { name: "Spending this month" })).toBeVisible();
  await capture(page, testInfo, "dashboard");

  await page.goto("/transactions");
  await expect(page.locator(".txn").first()).toBeVisible();
  await capture(page, testInfo, "transactions");

  await page.locator(".txn").first().click();
  await expect(page.getByText("Your details")).toBeVisible();
  await capture(page, testInfo, "transaction");

  await page.goto("/connections");
  await expect(page.locator(".connection-card").first()).toBeVisible();
  await capture(page, testInfo, "connections");
});
