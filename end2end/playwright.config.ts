// End-to-end tests against the release build, in Debian's Chromium.
//
// Playwright starts the server itself (webServer) on the port the Makefile
// picked (E2E_PORT), with a SQLite file and key in a fresh temporary folder,
// and stops it afterwards. Every browser project runs hydrated and with
// JavaScript disabled, at a phone and a desktop size.
import { defineConfig, devices } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const port = Number(process.env.E2E_PORT ?? 3900);
const baseURL = `http://127.0.0.1:${port}`;
const dataDir = mkdtempSync(join(tmpdir(), "tributary-e2e-"));

const chromium = {
  ...devices["Desktop Chrome"],
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  },
};
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const desktop = { viewport: { width: 1280, height: 800 } };

export default defineConfig({
  testDir: "./tests",
  outputDir: "./test-results",
  fullyParallel: true,
  workers: process.env.CI ? 2 : undefined,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [["list"]],
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: { baseURL, trace: "retain-on-failure", screenshot: "only-on-failure" },
  projects: [
    { name: "phone", use: { ...chromium, ...phone } },
    { name: "desktop", use: { ...chromium, ...desktop } },
    { name: "phone-no-js", use: { ...chromium, ...phone, javaScriptEnabled: false } },
    { name: "desktop-no-js", use: { ...chromium, ...desktop, javaScriptEnabled: false } },
  ],
  webServer: {
    command: "./target/release/tributary serve",
    cwd: "..",
    url: `${baseURL}/healthz`,
    timeout: 60_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    env: {
      DATABASE_URL: `sqlite://${join(dataDir, "e2e.db")}`,
      TRIBUTARY_DATA_DIR: dataDir,
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: "target/site",
      LEPTOS_OUTPUT_NAME: "tributary",
      BASE_URL: baseURL,
      // Many accounts from one address in a few seconds: the limits have
      // their own tests in the Rust suite.
      TRIBUTARY_LOGIN_LIMIT: "10000",
      TRIBUTARY_REGISTER_LIMIT: "10000",
      RUST_LOG: "tributary=info,warn",
    },
  },
});
