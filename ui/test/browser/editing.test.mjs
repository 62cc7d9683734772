// Two admins on one flag: a live change never overwrites an edit in progress, and a stale save shows the
// conflict with the other version. Then the audit diff, and evaluating an unsaved draft.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { api, assertClean, checkScreen, launch, newEnvironment, signedIn } from "./helpers.mjs";

let browser;
before(async () => (browser = await launch()));
after(() => browser?.close());

const emailCondition = { groups: [{ properties: [{ key: "email", type: "person", operator: "icontains", value: "@example.com" }], rollout_percentage: 100 }] };

test("two browsers edit one flag: the later save gets the conflict, nothing is silently overwritten", async () => {
  const env = await newEnvironment("conflict");
  await api("POST", `/environments/${env.id}/flags`, { key: "shared", name: "Shared", filters: emailCondition });
  const a = await signedIn(browser, `/e/${env.id}/flags/shared`);
  const b = await signedIn(browser, `/e/${env.id}/flags/shared`);
  await b.getByLabel("Description").fill("B's description");

  await a.getByLabel("Name", { exact: true }).fill("Renamed by A");
  await a.getByRole("button", { name: "Save" }).click();
  await a.getByText("Saved: version 2.").waitFor();

  // B is editing: the live update announces A's version instead of replacing B's edits.
  await b.getByText(/saved version 2 of this flag while you were editing/).waitFor({ timeout: 15_000 });
  assert.equal(await b.getByLabel("Description").inputValue(), "B's description");

  await b.getByRole("button", { name: "Save" }).click();
  const conflict = b.getByTestId("conflict");
  await conflict.waitFor();
  assert.match(await conflict.textContent(), /saved version 2/);
  assert.match(await conflict.locator("del").allTextContents().then((t) => t.join("\n")), /Renamed by A/);
  assert.match(await conflict.locator("ins").allTextContents().then((t) => t.join("\n")), /B's description/);
  await checkScreen(b, "flag-conflict");
  const { data: stored } = await api("GET", `/environments/${env.id}/flags/shared`);
  assert.equal(stored.version, 2);
  assert.equal(stored.name, "Renamed by A");
  assert.equal(stored.description ?? "", "", "B's save went through despite the conflict");

  // Choosing explicitly to keep B's edits saves them over version 2.
  await b.getByRole("button", { name: "Save my version over version 2" }).click();
  await b.getByText("Saved: version 3.").waitFor();
  assertClean(a);
  assertClean(b);
  await a.context().close();
  await b.context().close();
});

test("a flag's history shows who changed what, with the before/after diff; the audit log lists every change", async () => {
  const env = await newEnvironment("audit");
  await api("POST", `/environments/${env.id}/flags`, { key: "audited", name: "Before", filters: emailCondition });
  await api("PATCH", `/environments/${env.id}/flags/audited`, { name: "After" }, { headers: { "If-Match": '"1"' } });
  const page = await signedIn(browser, `/e/${env.id}/flags/audited/history`);
  const entries = page.getByTestId("audit-entries").locator("li");
  await entries.first().waitFor();
  assert.equal(await entries.count(), 2);
  const newest = entries.first();
  assert.match(await newest.locator("summary").textContent(), /flag\.update.*flag\/audited.*by bootstrap/);
  await newest.locator("summary").click();
  assert.match(await newest.locator("del").allTextContents().then((t) => t.join("\n")), /"name": "Before"/);
  assert.match(await newest.locator("ins").allTextContents().then((t) => t.join("\n")), /"name": "After"/);
  await checkScreen(page, "flag-history");

  await page.getByRole("link", { name: "Audit log" }).click();
  await page.getByRole("heading", { name: "Audit log" }).waitFor();
  await page.getByTestId("audit-entries").locator("li").nth(2).waitFor();
  await page.getByLabel(/^Resource/).fill("flag/audited");
  await page.waitForFunction(() => document.querySelectorAll("[data-testid=audit-entries] li").length === 2);
  await checkScreen(page, "audit-log");
  assertClean(page);
  await page.context().close();
});

test("the evaluate screen answers saved flags, and the editor evaluates an unsaved draft", async () => {
  const env = await newEnvironment("evaluate");
  await api("POST", `/environments/${env.id}/flags`, { key: "draft-me", name: "Draft me", filters: emailCondition });
  const page = await signedIn(browser, `/e/${env.id}/evaluate`);
  await page.getByLabel("Distinct id", { exact: true }).fill("ada");
  await page.getByLabel("Person properties (JSON)").fill('{"email": "ada@example.com"}');
  await page.getByRole("button", { name: "Evaluate", exact: true }).click();
  const saved = page.getByTestId("eval-result").locator('tr[data-flag="draft-me"]');
  await saved.waitFor();
  assert.equal(await saved.locator('[data-col="enabled"]').textContent(), "true");
  assert.match(await saved.locator('[data-col="reason"]').textContent(), /condition 1/);
  await checkScreen(page, "evaluate");

  await page.goto(`${page.url().replace(/\/evaluate$/, "")}/flags/draft-me`);
  await page.getByLabel("Rollout percentage").fill("0");
  await page.getByLabel("Distinct id", { exact: true }).fill("ada");
  await page.getByLabel("Person properties (JSON)").fill('{"email": "ada@example.com"}');
  await page.getByRole("button", { name: "Evaluate this draft" }).click();
  const draft = page.getByTestId("draft-result").locator('tr[data-flag="draft-me"]');
  await draft.waitFor();
  assert.equal(await draft.locator('[data-col="enabled"]').textContent(), "false");
  assert.match(await page.getByTestId("draft-result").locator("caption").textContent(), /unsaved draft/);
  await checkScreen(page, "evaluate-draft");
  const { data: stored } = await api("GET", `/environments/${env.id}/flags/draft-me`);
  assert.equal(stored.filters.groups[0].rollout_percentage, 100, "evaluating a draft changed the flag");
  assertClean(page);
  await page.context().close();
});

test("another admin's change appears in the flag list without a reload", async () => {
  const env = await newEnvironment("live");
  await api("POST", `/environments/${env.id}/flags`, { key: "live-one", filters: emailCondition });
  const page = await signedIn(browser, `/e/${env.id}/flags`);
  const sw = page.getByRole("switch", { name: "live-one enabled" });
  await sw.waitFor();
  assert.equal(await sw.getAttribute("aria-checked"), "true");
  await api("POST", `/environments/${env.id}/flags/live-one/toggle`, { active: false });
  await api("POST", `/environments/${env.id}/flags`, { key: "live-two", filters: emailCondition });
  await page.waitForFunction(() => document.querySelector('[aria-label="live-one enabled"]')?.getAttribute("aria-checked") === "false", null, { timeout: 15_000 });
  await page.getByRole("link", { name: "live-two" }).waitFor();
  assertClean(page);
  await page.context().close();
});
