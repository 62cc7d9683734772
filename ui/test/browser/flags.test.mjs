// Creating flags through the UI (by mouse and by keyboard alone), validation next to its field, and
// definitions holding markup rendered as text.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { api, assertClean, checkScreen, evaluate, eventually, fx, launch, newEnvironment, signedIn } from "./helpers.mjs";

let browser;
before(async () => (browser = await launch()));
after(() => browser?.close());

test("a targeted multivariate flag made entirely in the UI is answered by an evaluator", async () => {
  const env = await newEnvironment("create");
  const page = await signedIn(browser, `/e/${env.id}/flags`);
  await page.getByRole("link", { name: "New flag" }).click();
  await page.getByLabel("Key", { exact: true }).fill("checkout-v2");
  await page.getByLabel("Name", { exact: true }).fill("Checkout, second version");
  await page.getByLabel("Description").fill("Staff at example.com see the new checkout first.");
  await page.getByLabel("Tags (comma-separated)").fill("checkout, q3");

  await page.getByRole("button", { name: "Add filter to condition 1" }).click();
  await page.getByLabel("Filter 1 property").fill("email");
  await page.getByLabel("Filter 1 operator").selectOption("icontains");
  await page.getByLabel("Filter 1 text").fill("@example.com");
  await page.getByLabel("Rollout percentage").fill("100");

  await page.getByLabel(/Multivariate/).check();
  const sum = page.getByTestId("variant-sum");
  await page.getByLabel("Variant 1 weight").fill("30");
  await sum.filter({ hasText: "sum to 80%" }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Create flag" }).isDisabled(), true, "a flag whose weights do not sum to 100 can be saved");
  await page.getByLabel("Variant 2 weight").fill("70");
  await sum.filter({ hasText: "sum to 100%" }).waitFor();

  await page.getByLabel("Payload for test").fill('{"color": "gre');
  await page.getByText(/Not valid JSON/).waitFor();
  assert.equal(await page.getByRole("button", { name: "Create flag" }).isDisabled(), true, "an invalid payload can be saved");
  await page.getByLabel("Payload for test").fill('{"color": "green"}');
  await checkScreen(page, "flag-editor");

  await page.getByRole("button", { name: "Create flag" }).click();
  await page.getByText("Saved: version 1.").waitFor();
  assert.match(page.url(), /\/flags\/checkout-v2$/);

  const { data: stored } = await api("GET", `/environments/${env.id}/flags/checkout-v2`);
  assert.deepEqual(stored.tags, ["checkout", "q3"]);
  assert.deepEqual(stored.filters.payloads, { test: { color: "green" } });
  for (const ev of fx.evaluators) {
    const yes = await eventually(async () => {
      const f = (await evaluate(ev, env.sdk_key, "ada", { email: "Ada@Example.com" }))["checkout-v2"];
      assert.ok(f, "the evaluator does not know the flag yet");
      return f;
    });
    assert.equal(yes.enabled, true);
    assert.ok(["control", "test"].includes(yes.variant), `variant ${yes.variant}`);
    const no = (await evaluate(ev, env.sdk_key, "bob", { email: "bob@elsewhere.org" }))["checkout-v2"];
    assert.equal(no.enabled, false);
  }
  assertClean(page);
  await page.context().close();
});

test("a 422 from the writer is shown next to the field its path names", async () => {
  const env = await newEnvironment("invalid");
  const page = await signedIn(browser, `/e/${env.id}/new-flag`);
  await page.getByLabel("Key", { exact: true }).fill("lookahead");
  await page.getByRole("button", { name: "Add filter to condition 1" }).click();
  await page.getByLabel("Filter 1 property").fill("email");
  await page.getByLabel("Filter 1 operator").selectOption("regex");
  await page.getByLabel(/Filter 1 regular expression/).fill("^(?=admin).*");
  await page.getByRole("button", { name: "Create flag" }).click();

  const message = page.locator('[data-error-for="filters.groups[0].properties[0].value"]');
  await message.waitFor();
  assert.match(await message.textContent(), /RE2/);
  const input = page.getByLabel(/Filter 1 regular expression/);
  assert.equal(await input.getAttribute("aria-invalid"), "true");
  assert.equal(await input.getAttribute("aria-describedby"), await message.getAttribute("id"));
  await checkScreen(page, "flag-editor-422");
  const { status } = await api("GET", `/environments/${env.id}/flags/lookahead`, undefined, { ok: () => true });
  assert.equal(status, 404, "the invalid flag was stored");
  assertClean(page);
  await page.context().close();
});

/** Presses Tab until the focused element satisfies want, up to limit times. */
async function tabTo(page, want, limit = 80) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(want)) return;
  }
  throw new Error(`focus never reached ${want}`);
}

test("a flag can be created with the keyboard alone", async () => {
  const env = await newEnvironment("keyboard");
  const page = await signedIn(browser, `/e/${env.id}/flags`);
  await page.getByRole("heading", { name: "Flags" }).waitFor();
  await tabTo(page, () => document.activeElement?.textContent === "New flag");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "New flag" }).waitFor();
  await tabTo(page, () => document.activeElement?.id === "flag-key");
  await page.keyboard.type("by-keyboard");
  await page.keyboard.press("Tab");
  await page.keyboard.type("Made without a mouse");
  await tabTo(page, () => document.activeElement?.getAttribute("aria-label") === "Rollout percentage" || document.activeElement?.closest("label")?.textContent?.startsWith("Rollout percentage"));
  await page.keyboard.press("Control+A");
  await page.keyboard.type("25");
  await tabTo(page, () => document.activeElement?.textContent === "Create flag", 120);
  await page.keyboard.press("Enter");
  await page.getByText("Saved: version 1.").waitFor();
  const { data } = await api("GET", `/environments/${env.id}/flags/by-keyboard`);
  assert.equal(data.name, "Made without a mouse");
  assert.equal(data.filters.groups[0].rollout_percentage, 25);
  assertClean(page);
  await page.context().close();
});

test("markup in a flag's name and description renders as text and runs nothing", async () => {
  const env = await newEnvironment("xss");
  const description = `<script>window.__xss = "script"</script><img src=x onerror="window.__xss = 'img'">`;
  const name = `<img src=x onerror="window.__xss = 'name'">`;
  await api("POST", `/environments/${env.id}/flags`, { key: "markup", name, description, filters: { groups: [] } });
  await api("PATCH", `/environments/${env.id}/flags/markup`, { description: `${description} (edited)` }, { headers: { "If-Match": '"1"' } });

  const page = await signedIn(browser, `/e/${env.id}/flags`);
  await page.getByRole("cell", { name }).waitFor();
  await page.getByRole("link", { name: "markup" }).click();
  assert.equal(await page.getByLabel("Description").inputValue(), `${description} (edited)`);
  await page.getByRole("link", { name: "History" }).click();
  await page.locator("ol.audit summary").first().click();
  await page.locator(".diff pre").first().filter({ hasText: "<script>" }).waitFor();
  assert.equal(await page.evaluate(() => window.__xss), undefined, "markup from a flag ran");
  assert.equal(await page.locator("ol.audit img, main script").count(), 0, "markup from a flag became elements");
  assertClean(page);
  await page.context().close();
});
