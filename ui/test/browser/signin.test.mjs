// Sign-in, the security headers on the UI's responses, and the CSP holding on every page load.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { api, assertClean, checkScreen, fx, launch, newEnvironment, signedIn, watch } from "./helpers.mjs";

let browser;
before(async () => (browser = await launch()));
after(() => browser?.close());

test("the UI's responses carry a CSP without unsafe-inline, nosniff, no framing and no referrer", async () => {
  for (const path of ["/", "/e/1/flags/some-flag"]) {
    const res = await fetch(fx.writer + path);
    assert.equal(res.status, 200);
    const csp = res.headers.get("content-security-policy");
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(res.headers.get("referrer-policy"), "no-referrer");
    assert.match(await res.text(), /<div id="root">/);
  }
  const api = await fetch(`${fx.writer}/api/v1/no-such-route`);
  assert.equal(api.status, 404);
  assert.equal((await api.json()).code, "route_not_found");
});

test("sign in with a token: a wrong one is refused, the right one is kept in sessionStorage only", async () => {
  const env = await newEnvironment("signin");
  const context = await browser.newContext();
  const page = watch(await context.newPage());
  await page.goto(`${fx.writer}/e/${env.id}/flags`);
  await checkScreen(page, "sign-in");
  await page.getByLabel("Admin token").fill("not-a-real-token-at-all");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").filter({ hasText: /token/i }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("halyard.token")), null);

  await page.getByLabel("Admin token").fill(fx.token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Flags" }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("halyard.token")), fx.token);
  assert.deepEqual(await context.cookies(), []);
  assert.ok(!page.url().includes(fx.token));
  assert.equal(await page.evaluate(() => localStorage.length), 0);

  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByLabel("Admin token").waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("halyard.token")), null);
  assertClean(page);
  await context.close();
});

test("a read-only token sees no control it cannot use", async () => {
  const env = await newEnvironment("readonly");
  await api("POST", `/environments/${env.id}/flags`, { key: "look-only", filters: { groups: [] } });
  const { data: token } = await api("POST", "/tokens", { name: "viewer", scopes: ["read"] });
  const page = await signedIn(browser, `/e/${env.id}/flags`, { token: token.token });
  const sw = page.getByRole("switch", { name: "look-only enabled" });
  await sw.waitFor();
  assert.equal(await sw.isDisabled(), true);
  assert.equal(await page.getByRole("link", { name: "New flag" }).count(), 0);
  assert.match(await page.locator(".scope").textContent(), /read-only/);
  await page.getByRole("link", { name: "look-only" }).click();
  await page.getByLabel("Description").waitFor();
  assert.equal(await page.getByRole("button", { name: "Save" }).count(), 0);
  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("heading", { name: "Keys" }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Rotate key" }).count(), 0);
  assert.equal(await page.getByRole("button", { name: "Save appearance" }).count(), 0);
  assertClean(page);
  await page.context().close();
});
