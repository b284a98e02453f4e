// The Plaid Link emulation (the sandbox's link-initialize.js), driven through
// its demo page, which writes every callback as a JSON line into <pre id="log">.
// Link is a JavaScript widget: these tests run in the hydrated projects only
// (phone 390×844 and desktop).
import { expect, test, type APIRequestContext, type Locator, type Page } from "@playwright/test";
import { PLAID_KEYS as KEYS, expectNoHorizontalScroll, failOnConsoleErrors, jsDisabled } from "./helpers";

const DEMO = "/sandbox/plaid/__link/demo";
const PLATYPUS = { name: "First Platypus Bank", institution_id: "ins_109508" };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Entry = { callback: string; [key: string]: any };

test.beforeEach(async ({}, testInfo) => {
  test.skip(jsDisabled(testInfo), "Plaid Link needs JavaScript");
});

// Wrong passwords are expected to get a 4xx ("Failed to load resource",
// left out); CSP violations ("Refused to …") and script errors are not.
failOnConsoleErrors();

// ---------------------------------------------------------------- helpers

async function entries(page: Page): Promise<Entry[]> {
  const text = (await page.locator("#log").textContent()) ?? "";
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Entry);
}

/** The `nth` (0-based) log entry of `callback`, once it is there. */
async function callback(page: Page, name: string, nth = 0): Promise<Entry> {
  let found: Entry | undefined;
  await expect
    .poll(
      async () => {
        found = (await entries(page)).filter((e) => e.callback === name)[nth];
        return found !== undefined;
      },
      { message: `waiting for ${name} #${nth + 1} in the log` },
    )
    .toBe(true);
  return found as Entry;
}

async function eventNames(page: Page): Promise<string[]> {
  return (await entries(page)).filter((e) => e.callback === "onEvent").map((e) => e.eventName as string);
}

/** Opens the demo page (with an optional query) and Link; returns the dialog. */
async function openLink(page: Page, query = ""): Promise<Locator> {
  await page.goto(DEMO + query);
  await expect(page.locator("#open-link[data-ready]")).toBeVisible();
  await page.getByRole("button", { name: "Open Link" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  return dialog;
}

async function pickPlatypus(dialog: Locator) {
  await dialog.getByLabel("Search institutions").fill("first platypus");
  await expect(dialog.getByRole("status")).toHaveText("1 institution found.");
  await dialog.getByRole("button", { name: PLATYPUS.name }).click();
  await expect(dialog.getByRole("heading", { name: `Log in to ${PLATYPUS.name}` })).toBeVisible();
}

async function logIn(dialog: Locator, password = "pass_good") {
  await dialog.getByLabel("Username").fill("user_good");
  await dialog.getByLabel("Password").fill(password);
  await dialog.getByRole("button", { name: "Submit" }).click();
}

/** The whole new-item flow with every account kept; returns onSuccess's entry. */
async function connectPlatypus(page: Page): Promise<Entry> {
  const dialog = await openLink(page);
  await pickPlatypus(dialog);
  await logIn(dialog);
  await expect(dialog.getByRole("heading", { name: "Select accounts" })).toBeVisible();
  await dialog.getByRole("button", { name: "Continue" }).click();
  await expect(dialog.getByRole("heading", { name: "Success" })).toBeVisible();
  await dialog.getByRole("button", { name: "Continue" }).click();
  await expect(dialog).toBeHidden();
  return callback(page, "onSuccess");
}

async function exchange(request: APIRequestContext, publicToken: string) {
  const res = await request.post("/sandbox/plaid/item/public_token/exchange", {
    data: { ...KEYS, public_token: publicToken },
  });
  expect(res.status()).toBe(200);
  return (await res.json()) as { access_token: string; item_id: string };
}

function expectSuccessShape(publicToken: unknown, metadata: Entry) {
  expect(publicToken).toMatch(/^public-sandbox-/);
  expect(Object.keys(metadata).sort()).toEqual(["accounts", "institution", "link_session_id", "transfer_status"]);
  expect(metadata.institution).toEqual(PLATYPUS);
  expect(typeof metadata.link_session_id).toBe("string");
  expect(metadata.link_session_id).not.toBe("");
  expect(metadata.transfer_status).toBeNull();
  expect(metadata.accounts.length).toBeGreaterThan(0);
  for (const account of metadata.accounts) {
    expect(Object.keys(account).sort()).toEqual([
      "class_type",
      "id",
      "mask",
      "name",
      "subtype",
      "type",
      "verification_status",
    ]);
    expect(typeof account.id).toBe("string");
    expect(typeof account.name).toBe("string");
    expect(typeof account.type).toBe("string");
    expect(typeof account.subtype).toBe("string");
    expect(account.verification_status).toBeNull();
    expect(account.class_type).toBeNull();
  }
}

function expectExitShape(entry: Entry, status: string) {
  expect(Object.keys(entry.metadata).sort()).toEqual(["institution", "link_session_id", "request_id", "status"]);
  expect(entry.metadata.status).toBe(status);
  expect(typeof entry.metadata.link_session_id).toBe("string");
  expect(typeof entry.metadata.request_id).toBe("string");
  if (entry.error !== null) {
    expect(Object.keys(entry.error).sort()).toEqual(["display_message", "error_code", "error_message", "error_type"]);
  }
}

const EVENT_FIELDS = [
  "error_type",
  "error_code",
  "error_message",
  "exit_status",
  "institution_id",
  "institution_name",
  "institution_search_query",
  "mfa_type",
  "view_name",
  "selection",
  "timestamp",
  "link_session_id",
  "request_id",
  "is_update_mode",
];

// ------------------------------------------------------------------ tests

test("connect First Platypus Bank, then exchange the public token", async ({ page, request }) => {
  const dialog = await openLink(page);
  await expect(dialog).toHaveAttribute("aria-modal", "true");
  await expect(dialog).toHaveAccessibleName("Select your institution");
  await expect(dialog.getByLabel("Search institutions")).toBeFocused();
  await expectNoHorizontalScroll(page);

  await pickPlatypus(dialog);
  await expect(dialog.getByLabel("Username")).toBeFocused();
  await expect(dialog.getByText("Sandbox: user_good / pass_good")).toBeVisible();
  await logIn(dialog);

  await expect(dialog.getByRole("heading", { name: "Select accounts" })).toBeVisible();
  const boxes = dialog.getByRole("checkbox");
  const count = await boxes.count();
  expect(count).toBeGreaterThan(0);
  for (let i = 0; i < count; i++) await expect(boxes.nth(i)).toBeChecked();
  await expectNoHorizontalScroll(page);
  await dialog.getByRole("button", { name: "Continue" }).click();

  await expect(dialog.getByRole("heading", { name: "Success" })).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Continue" })).toBeFocused();
  await dialog.getByRole("button", { name: "Continue" }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole("button", { name: "Open Link" })).toBeFocused();

  const success = await callback(page, "onSuccess");
  expectSuccessShape(success.public_token, success.metadata);
  expect(success.metadata.accounts).toHaveLength(count);

  const log = await entries(page);
  expect(log[0].callback).toBe("onLoad");
  expect(log.filter((e) => e.callback === "onExit")).toHaveLength(0);
  const names = await eventNames(page);
  expect(names[0]).toBe("OPEN");
  expect(names).toEqual(
    expect.arrayContaining([
      "OPEN",
      "TRANSITION_VIEW",
      "SEARCH_INSTITUTION",
      "SELECT_INSTITUTION",
      "SUBMIT_CREDENTIALS",
      "HANDOFF",
    ]),
  );
  for (const event of log.filter((e) => e.callback === "onEvent")) {
    expect(Object.keys(event.metadata)).toEqual(expect.arrayContaining(EVENT_FIELDS));
    expect(new Date(event.metadata.timestamp).toISOString()).toBe(event.metadata.timestamp);
    expect(event.metadata.link_session_id).toBe(success.metadata.link_session_id);
    expect(event.metadata.is_update_mode).toBe(false);
  }
  const selected = log.find((e) => e.eventName === "SELECT_INSTITUTION");
  expect(selected?.metadata).toMatchObject({
    institution_id: PLATYPUS.institution_id,
    institution_name: PLATYPUS.name,
  });
  const searched = log.find((e) => e.eventName === "SEARCH_INSTITUTION");
  expect(searched?.metadata.institution_search_query).toBe("first platypus");

  const exchanged = await exchange(request, success.public_token);
  expect(exchanged.access_token).toMatch(/^access-sandbox-/);
  expect(typeof exchanged.item_id).toBe("string");
});

test("errors at login are shown in an alert and the user can retry", async ({ page }) => {
  const dialog = await openLink(page);
  await pickPlatypus(dialog);

  await logIn(dialog, "error_ITEM_LOCKED");
  const alert = dialog.getByRole("alert");
  await expect(alert).toContainText("ITEM_LOCKED");
  await expect(alert).toContainText(/locked/i);

  await logIn(dialog, "not-the-password");
  await expect(alert).toContainText("INVALID_CREDENTIALS");
  await expect(alert).not.toContainText("ITEM_LOCKED");
  const password = dialog.getByLabel("Password");
  await expect(password).toHaveValue("");
  await expect(password).toBeFocused();
  await expect(dialog.getByLabel("Username")).toHaveValue("user_good");

  await password.fill("pass_good");
  await dialog.getByRole("button", { name: "Submit" }).click();
  await expect(dialog.getByRole("heading", { name: "Select accounts" })).toBeVisible();
  await expect(dialog.getByRole("alert")).toHaveCount(0);

  const errors = (await entries(page)).filter((e) => e.eventName === "ERROR").map((e) => e.metadata.error_code);
  expect(errors).toEqual(["ITEM_LOCKED", "INVALID_CREDENTIALS"]);

  // Leaving at the account selection: onExit without an error.
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(dialog).toBeHidden();
  const exit = await callback(page, "onExit");
  expect(exit.error).toBeNull();
  expectExitShape(exit, "requires_account_selection");
  expect(exit.metadata.institution).toEqual(PLATYPUS);
});

test("MFA with a device code, then choose one account", async ({ page }) => {
  const dialog = await openLink(page);
  await pickPlatypus(dialog);
  await logIn(dialog, "mfa_device");

  const code = dialog.getByLabel("Verification code");
  await expect(code).toBeFocused();
  await code.fill("0000");
  await dialog.getByRole("button", { name: "Submit" }).click();
  await expect(dialog.getByRole("alert")).toContainText("INVALID_MFA");
  await expect(code).toBeFocused();
  await code.fill("1234");
  await dialog.getByRole("button", { name: "Submit" }).click();

  await expect(dialog.getByRole("heading", { name: "Select accounts" })).toBeVisible();
  const boxes = dialog.getByRole("checkbox");
  const count = await boxes.count();
  for (let i = 0; i < count; i++) await boxes.nth(i).uncheck();
  await dialog.getByRole("button", { name: "Continue" }).click();
  await expect(dialog.getByRole("alert")).toHaveText("Select at least one account.");
  await expect(dialog.getByRole("heading", { name: "Select accounts" })).toBeVisible();

  await boxes.first().check();
  const chosenName = (await boxes.first().evaluate((b) => b.closest("label")?.textContent)) ?? "";
  await dialog.getByRole("button", { name: "Continue" }).click();
  await expect(dialog.getByRole("heading", { name: "Success" })).toBeVisible();
  await dialog.getByRole("button", { name: "Continue" }).click();
  await expect(dialog).toBeHidden();

  const success = await callback(page, "onSuccess");
  expectSuccessShape(success.public_token, success.metadata);
  expect(success.metadata.accounts).toHaveLength(1);
  expect(chosenName).toContain(success.metadata.accounts[0].name);

  const log = await entries(page);
  const mfa = log.find((e) => e.eventName === "SUBMIT_MFA");
  expect(mfa?.metadata.mfa_type).toBe("device");
  expect(log.filter((e) => e.eventName === "ERROR").map((e) => e.metadata.error_code)).toEqual(["INVALID_MFA"]);
});

test("Escape and the Close button exit with onExit and its status", async ({ page }) => {
  const openButton = page.getByRole("button", { name: "Open Link" });
  let dialog = await openLink(page);
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(openButton).toBeFocused();
  const first = await callback(page, "onExit");
  expect(first.error).toBeNull();
  expectExitShape(first, "institution_not_found");
  expect(first.metadata.institution).toBeNull();
  const exitEvent = (await entries(page)).find((e) => e.eventName === "EXIT");
  expect(exitEvent?.metadata.exit_status).toBe("institution_not_found");

  await openButton.click();
  dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  await pickPlatypus(dialog);
  await logIn(dialog, "wrong");
  await expect(dialog.getByRole("alert")).toContainText("INVALID_CREDENTIALS");
  await dialog.getByRole("button", { name: "Close" }).click();
  await expect(dialog).toBeHidden();
  await expect(openButton).toBeFocused();
  const second = await callback(page, "onExit", 1);
  expectExitShape(second, "requires_credentials");
  expect(second.metadata.institution).toEqual(PLATYPUS);
  expect(second.error).toMatchObject({ error_type: "ITEM_ERROR", error_code: "INVALID_CREDENTIALS" });
  expect(typeof second.error.error_message).toBe("string");
  expect((await entries(page)).filter((e) => e.callback === "onSuccess")).toHaveLength(0);
});

test("update mode skips the institution search and keeps the accounts", async ({ page, request }) => {
  const created = await connectPlatypus(page);
  const { access_token } = await exchange(request, created.public_token);

  const dialog = await openLink(page, `?access_token=${encodeURIComponent(access_token)}`);
  await expect(dialog.getByRole("heading", { name: `Log in again to ${PLATYPUS.name}` })).toBeVisible();
  await expect(dialog.getByLabel("Search institutions")).toHaveCount(0);
  await expect(dialog.getByRole("button", { name: "Back" })).toBeHidden();
  await expect(dialog.getByLabel("Username")).toBeFocused();
  await logIn(dialog);

  await expect(dialog.getByRole("heading", { name: "Success" })).toBeVisible();
  await dialog.getByRole("button", { name: "Continue" }).click();
  await expect(dialog).toBeHidden();

  const success = await callback(page, "onSuccess");
  expectSuccessShape(success.public_token, success.metadata);
  const ids = (accounts: { id: string }[]) => accounts.map((a) => a.id).sort();
  expect(ids(success.metadata.accounts)).toEqual(ids(created.metadata.accounts));

  const log = await entries(page);
  expect(log.some((e) => e.eventName === "SELECT_INSTITUTION")).toBe(false);
  const opened = log.find((e) => e.eventName === "OPEN");
  expect(opened?.metadata.is_update_mode).toBe(true);
});

test("the modal is an accessible dialog that fits the screen", async ({ page }, testInfo) => {
  const dialog = await openLink(page);
  await expect(dialog).toHaveAttribute("aria-modal", "true");
  const titleId = await dialog.getAttribute("aria-labelledby");
  expect(titleId).toBeTruthy();
  await expect(page.locator(`[id="${titleId}"]`)).toHaveText("Select your institution");
  await expect(dialog.getByRole("button", { name: "Close" })).toBeVisible();
  await expect(dialog.getByRole("button", { name: PLATYPUS.name })).toBeVisible();

  // Focus is inside and stays there.
  const focusInside = () => dialog.evaluate((d) => d.contains(document.activeElement));
  expect(await focusInside()).toBe(true);
  for (let i = 0; i < 12; i++) {
    await page.keyboard.press("Tab");
    expect(await focusInside()).toBe(true);
  }
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press("Shift+Tab");
    expect(await focusInside()).toBe(true);
  }

  // A full-screen sheet on a phone, a centered card on a wide screen.
  const viewport = page.viewportSize();
  const box = await dialog.boundingBox();
  expect(viewport).not.toBeNull();
  expect(box).not.toBeNull();
  if (viewport && box) {
    if (viewport.width < 600) {
      expect(Math.abs(box.x)).toBeLessThanOrEqual(1);
      expect(Math.abs(box.width - viewport.width)).toBeLessThanOrEqual(1);
      expect(Math.abs(box.height - viewport.height)).toBeLessThanOrEqual(1);
    } else {
      expect(box.width).toBeGreaterThanOrEqual(360);
      expect(box.width).toBeLessThan(viewport.width);
      expect(Math.abs(box.x + box.width / 2 - viewport.width / 2)).toBeLessThanOrEqual(2);
    }
  }
  const noInnerOverflow = () => dialog.evaluate((d) => d.scrollWidth <= d.clientWidth);
  expect(await noInnerOverflow()).toBe(true);
  await expectNoHorizontalScroll(page);

  await pickPlatypus(dialog);
  expect(await noInnerOverflow()).toBe(true);
  await expectNoHorizontalScroll(page);
  // Back to the search keeps the query.
  await dialog.getByRole("button", { name: "Back" }).click();
  await expect(dialog.getByLabel("Search institutions")).toHaveValue("first platypus");

  // Light and dark follow the system.
  const background = () => dialog.evaluate((d) => getComputedStyle(d).backgroundColor);
  await page.emulateMedia({ colorScheme: "light" });
  const light = await background();
  await page.emulateMedia({ colorScheme: "dark" });
  const dark = await background();
  expect(light).toBe("rgb(255, 255, 255)");
  expect(dark).not.toBe(light);

  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  // Closing removes everything Link added.
  expect(await page.locator("[class^='tributary-plaid-link-'], #tributary-plaid-link-style").count()).toBe(0);
  expect(testInfo.project.name).toMatch(/phone|desktop/);
});

test("an invalid link token is shown and ends in onExit with the error", async ({ page }) => {
  const dialog = await openLink(page, "?link_token=link-sandbox-not-a-real-token");
  await expect(dialog.getByRole("alert")).toContainText("INVALID_LINK_TOKEN");
  await expect(dialog.getByRole("button", { name: "Exit" })).toBeFocused();
  await dialog.getByRole("button", { name: "Exit" }).click();
  await expect(dialog).toBeHidden();
  const exit = await callback(page, "onExit");
  expectExitShape(exit, "institution_not_found");
  expect(exit.error).toMatchObject({ error_type: "INVALID_INPUT", error_code: "INVALID_LINK_TOKEN" });
  expect((await entries(page))[0].callback).toBe("onLoad");
});

test("the handler API: queued open, exit asks first, force exit, destroy", async ({ page, request }) => {
  const res = await request.post("/sandbox/plaid/link/token/create", {
    data: {
      ...KEYS,
      client_name: "Tributary demo",
      language: "en",
      country_codes: ["US"],
      user: { client_user_id: "demo" },
      products: ["transactions"],
    },
  });
  expect(res.status()).toBe(200);
  const { link_token } = await res.json();

  await page.goto(DEMO);
  const version = await page.evaluate(() => (window as unknown as { Plaid: { version: unknown } }).Plaid.version);
  expect(typeof version).toBe("string");

  // open() right after create(), before onLoad: queued until loaded.
  await page.evaluate((token) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const w = window as any;
    w.__calls = [];
    w.__handler = w.Plaid.create({
      token,
      onSuccess: () => w.__calls.push("onSuccess"),
      onExit: (error: unknown, metadata: { status: string }) => w.__calls.push(`onExit:${metadata.status}`),
      onLoad: () => w.__calls.push("onLoad"),
    });
    w.__handler.open();
  }, link_token);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const calls = () => page.evaluate(() => (window as any).__calls as string[]);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const handler = (fn: string, arg?: unknown) => page.evaluate(([f, a]) => (window as any).__handler[f as string](a), [fn, arg]);

  const dialog = page.getByRole("dialog");
  await expect(dialog).toBeVisible();
  expect(await calls()).toEqual(["onLoad"]);

  // exit() without force asks first; Cancel goes back where we were.
  await handler("exit");
  await expect(dialog.getByRole("heading", { name: "Are you sure you want to exit?" })).toBeVisible();
  await expect(dialog).toHaveAccessibleName("Are you sure you want to exit?");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog.getByLabel("Search institutions")).toBeVisible();
  expect(await calls()).toEqual(["onLoad"]);
  await handler("exit");
  await dialog.getByRole("button", { name: "Exit", exact: true }).click();
  await expect(dialog).toBeHidden();
  expect(await calls()).toEqual(["onLoad", "onExit:institution_not_found"]);

  // exit({force: true}) closes at once.
  await handler("open");
  await expect(dialog).toBeVisible();
  await handler("exit", { force: true });
  await expect(dialog).toBeHidden();
  expect(await calls()).toEqual(["onLoad", "onExit:institution_not_found", "onExit:institution_not_found"]);

  // destroy() removes everything, calls nothing, and open() is then a no-op.
  await handler("open");
  await expect(dialog).toBeVisible();
  await handler("destroy");
  await expect(dialog).toBeHidden();
  await handler("open");
  expect(await page.locator("[class^='tributary-plaid-link-'], #tributary-plaid-link-style").count()).toBe(0);
  expect(await calls()).toHaveLength(3);
});
