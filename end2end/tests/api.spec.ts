// The JSON API and the HTTP hardening, seen from outside (one project is enough).
import { expect, test } from "@playwright/test";
import { PASSWORD, uniqueEmail } from "./helpers";

test.beforeEach(({}, testInfo) => {
  test.skip(testInfo.project.name !== "desktop", "API checks run once");
});

test("register, me, logout over JSON; 401 when signed out", async ({ request }, testInfo) => {
  const email = uniqueEmail(testInfo);
  expect((await request.get("/api/me")).status()).toBe(401);
  const created = await request.post("/api/auth/register", { data: { email, password: PASSWORD } });
  expect(created.status()).toBe(201);
  expect((await created.json()).user.email).toBe(email);
  const me = await request.get("/api/me");
  expect(me.status()).toBe(200);
  expect((await me.json()).user.email).toBe(email);
  expect((await request.post("/api/auth/logout")).status()).toBe(204);
  expect((await request.get("/api/me")).status()).toBe(401);
});

test("security headers and the session cookie", async ({ request }, testInfo) => {
  const res = await request.get("/login");
  const headers = res.headers();
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
  expect(headers["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]+'/);
  expect(headers["x-content-type-options"]).toBe("nosniff");
  const login = await request.post("/api/auth/register", {
    data: { email: uniqueEmail(testInfo), password: PASSWORD },
  });
  const cookie = login.headers()["set-cookie"] ?? "";
  expect(cookie).toMatch(/tributary_session=/);
  expect(cookie).toMatch(/HttpOnly/i);
  expect(cookie).toMatch(/SameSite=Lax/i);
});

test("a cross-site POST is refused", async ({ request }) => {
  const res = await request.post("/api/auth/login", {
    data: { email: "a@example.com", password: PASSWORD },
    headers: { Origin: "https://evil.example" },
  });
  expect(res.status()).toBe(403);
});
