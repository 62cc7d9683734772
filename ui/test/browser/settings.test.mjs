// Environment settings: keys rotated with a grace period and revoked, the SDK snippets, the appearance
// form, and the confirmation every change on a protected environment asks for.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { api, assertClean, checkScreen, evaluate, eventually, fx, launch, newEnvironment, signedIn } from "./helpers.mjs";

let browser;
before(async () => (browser = await launch()));
after(() => browser?.close());

test("an SDK key is rotated with a grace period, both keys work, and the old one is revoked", async () => {
  const env = await newEnvironment("keys");
  await api("POST", `/environments/${env.id}/flags`, { key: "k", filters: { groups: [{ properties: [], rollout_percentage: 100 }] } });
  await eventually(async () => assert.equal((await evaluate(fx.evaluators[0], env.sdk_key, "u"))["k"]?.enabled, true));
  const page = await signedIn(browser, `/e/${env.id}/settings`);
  const keys = page.getByTestId("keys");
  await keys.getByText(env.sdk_key).waitFor();
  const snippet = page.locator('[data-snippet="posthog-js"]');
  assert.match(await snippet.textContent(), new RegExp(`${env.sdk_key}[\\s\\S]*${fx.evaluators[0].replace(/[.:/]/g, "\\$&")}`));

  await page.getByLabel(/^Rotate/).selectOption("sdk");
  await page.getByLabel(/Old keys keep working for/).fill("3600");
  await page.getByRole("button", { name: "Rotate key" }).click();
  const issued = page.getByTestId("issued-key");
  await issued.waitFor();
  const fresh = (await issued.locator("code").textContent()).trim();
  assert.match(fresh, /^phc_/);
  assert.notEqual(fresh, env.sdk_key);
  await keys.getByText(fresh).waitFor();
  assert.notEqual((await keys.locator("tr", { hasText: env.sdk_key }).locator("td").nth(3).textContent()).trim(), "never", "the old key has no expiry");
  await page.getByRole("button", { name: "Copy the new key" }).click();
  await checkScreen(page, "settings");
  for (const key of [fresh, env.sdk_key]) {
    await eventually(async () => assert.equal((await evaluate(fx.evaluators[1], key, "u"))["k"]?.enabled, true));
  }

  const oldId = await keys.locator("tr", { hasText: env.sdk_key }).getAttribute("data-key-id");
  await page.getByRole("button", { name: `Revoke key ${oldId}` }).click();
  await keys.locator(`tr[data-key-id="${oldId}"]`).waitFor({ state: "detached" });
  await eventually(async () => assert.rejects(evaluate(fx.evaluators[1], env.sdk_key, "u"), /401/));
  assertClean(page);
  await page.context().close();
});

test("a protected environment shows its label and colour and asks before every change, naming flag and environment", async () => {
  const env = await newEnvironment("production");
  await api("POST", `/environments/${env.id}/flags`, { key: "payments", filters: { groups: [{ properties: [], rollout_percentage: 100 }] } });
  const page = await signedIn(browser, `/e/${env.id}/settings`);

  await page.getByLabel("Label (shown in the top bar, e.g. Production)").fill("Production");
  await page.getByLabel("Colour the top bar").check();
  await page.getByLabel("Top bar colour").fill("#b3261e");
  await page.getByLabel("Protected").check();
  await page.getByRole("button", { name: "Save appearance" }).click();
  await page.getByTestId("env-label").filter({ hasText: "Production" }).waitFor();
  const bar = await page.locator("header.topbar").evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.equal(bar, "rgb(179, 38, 30)");

  await page.getByRole("link", { name: "Flags" }).click();
  const sw = page.getByRole("switch", { name: "payments enabled" });
  await sw.click();
  const dialog = page.getByRole("dialog");
  await dialog.waitFor();
  const text = await dialog.textContent();
  assert.match(text, /payments/);
  assert.match(text, /production \(Production\)/);
  await checkScreen(page, "protected-confirmation");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  assert.equal((await api("GET", `/environments/${env.id}/flags/payments`)).data.active, true, "cancelling still changed the flag");

  await sw.click();
  await dialog.getByRole("button", { name: /Yes, turn off flag "payments" in production/ }).click();
  await page.waitForFunction(() => document.querySelector('[aria-label="payments enabled"]')?.getAttribute("aria-checked") === "false");
  assert.equal((await api("GET", `/environments/${env.id}/flags/payments`)).data.active, false);

  // The editor asks too.
  await page.getByRole("link", { name: "payments" }).click();
  await page.getByLabel("Description").fill("guarded");
  await page.getByRole("button", { name: "Save" }).click();
  await dialog.filter({ hasText: "payments" }).waitFor();
  await dialog.getByRole("button", { name: /Yes, save changes to flag "payments" in production/ }).click();
  await page.getByText("Saved: version 3.").waitFor();
  assertClean(page);
  await page.context().close();
});
