// The narrowest phones in common use (360 px wide): no page scrolls
// sideways, hydrated or without JavaScript, with both providers' data.
// The phone projects run it (the desktop ones would repeat the same size).
import { expect, test } from "@playwright/test";
import { expectNoHorizontalScroll, uniqueEmail, userWithBothProviders } from "./helpers";

test.use({ viewport: { width: 360, height: 740 } });

test("every page fits 360 px", async ({ page }, testInfo) => {
  test.skip(!testInfo.project.name.startsWith("phone"), "one width, run by the phone projects");
  test.setTimeout(90_000);
  for (const path of ["/login", "/register"]) {
    await page.goto(path);
    await expectNoHorizontalScroll(page);
  }
  await userWithBothProviders(page, uniqueEmail(testInfo));
  for (const path of ["/", "/transactions", "/connections"]) {
    await page.goto(path);
    await page.waitForLoadState("networkidle");
    await expectNoHorizontalScroll(page);
  }
  await page.goto("/transactions");
  await page.locator("a.txn").first().click();
  await expect(page.getByLabel("Category")).toBeVisible();
  await expectNoHorizontalScroll(page);
});
