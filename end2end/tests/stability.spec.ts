// No layout shift when data arrives: each page with both providers' data is
// loaded, hydrated and left to settle while the browser records every
// layout shift (the Cumulative Layout Shift the Web Vitals define). The
// pages render their data on the server, so the content is there from the
// first paint and hydration must not move it. Good is CLS ≤ 0.1; this
// asks for ≤ 0.02. Without JavaScript there is no hydration to move
// anything; those projects skip.
import { expect, test, type Page } from "@playwright/test";
import { failOnConsoleErrors, jsDisabled, openSettled, uniqueEmail, userWithBothProviders } from "./helpers";

const MAX_CLS = 0.02;

test.beforeEach(async ({ page }, testInfo) => {
  test.skip(jsDisabled(testInfo), "nothing hydrates without JavaScript");
  test.setTimeout(90_000);
  // Before any page script: collect every shift from the first paint on.
  await page.addInitScript(() => {
    const w = window as unknown as { __shifts: { value: number; sources: string[] }[] };
    w.__shifts = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as unknown as {
        value: number;
        hadRecentInput: boolean;
        sources?: { node?: Node }[];
      }[]) {
        if (entry.hadRecentInput) continue;
        const sources = (entry.sources ?? []).map((s) =>
          s.node instanceof Element ? `${s.node.tagName.toLowerCase()}.${s.node.className}` : String(s.node?.nodeName),
        );
        w.__shifts.push({ value: entry.value, sources });
      }
    }).observe({ type: "layout-shift", buffered: true });
  });
});
failOnConsoleErrors();

/** Loads `path`, waits for the app and the network to settle, returns the shifts. */
async function shiftsOf(page: Page, path: string, ready: string) {
  await openSettled(page, path, ready);
  // Two frames after the last request, for anything it rendered.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  return page.evaluate(() => (window as unknown as { __shifts: { value: number; sources: string[] }[] }).__shifts);
}

/** The summed shifts of `path` must stay within `MAX_CLS`. */
async function expectStable(page: Page, path: string, ready: string) {
  const shifts = await shiftsOf(page, path, ready);
  const cls = shifts.reduce((sum, s) => sum + s.value, 0);
  expect.soft(cls, `layout shift on ${path}: ${JSON.stringify(shifts)}`).toBeLessThanOrEqual(MAX_CLS);
}

test("signed-out pages keep their layout as they hydrate", async ({ page }) => {
  await expectStable(page, "/login", "form");
  await expectStable(page, "/register", "form");
});

test("pages keep their layout while they load and hydrate", async ({ page }, testInfo) => {
  await userWithBothProviders(page, uniqueEmail(testInfo));
  for (const [path, ready] of [
    ["/", ".account-card"],
    ["/transactions", "a.txn"],
    ["/connections", ".connection-card"],
  ]) {
    await expectStable(page, path, ready);
  }
});
