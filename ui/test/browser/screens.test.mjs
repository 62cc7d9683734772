// The remaining screens: cohorts (CSV upload, property cohort, where used), import with its preview, copying
// flags to another environment with a preview, and projects; each checked with axe.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { api, assertClean, checkScreen, launch, newEnvironment, signedIn } from "./helpers.mjs";

let browser;
before(async () => (browser = await launch()));
after(() => browser?.close());

test("cohorts: a static cohort from a CSV upload, a property cohort, and where each is used", async () => {
  const env = await newEnvironment("cohorts");
  const page = await signedIn(browser, `/e/${env.id}/cohorts`);
  await page.getByLabel("Name").fill("beta-testers");
  await page.getByLabel(/Members \(CSV/).setInputFiles({ name: "beta.csv", mimeType: "text/csv", buffer: Buffer.from("distinct_id\nu1\nu2\nu3\n") });
  await page.getByRole("button", { name: "Create cohort" }).click();
  const row = page.locator('tr[data-cohort="beta-testers"]');
  await row.waitFor();
  assert.match(await row.textContent(), /static\s*3/);

  await page.getByLabel("Name").fill("pro-users");
  await page.getByRole("radio", { name: /Property/ }).check();
  await page.getByRole("button", { name: "Create cohort" }).click();
  await page.locator('tr[data-cohort="pro-users"]').waitFor();

  const { data } = await api("GET", `/environments/${env.id}/cohorts`);
  const beta = data.cohorts.find((c) => c.name === "beta-testers");
  await api("POST", `/environments/${env.id}/flags`, {
    key: "beta-only",
    filters: { groups: [{ properties: [{ key: "id", type: "cohort", operator: "in", value: beta.id }], rollout_percentage: 100 }] },
  });
  await page.waitForFunction(() => document.querySelector('tr[data-cohort="beta-testers"] [data-col="usage"]')?.textContent === "flag beta-only", null, { timeout: 15_000 });
  assert.equal(await page.locator('tr[data-cohort="pro-users"] [data-col="usage"]').textContent(), "not used");

  await row.getByLabel("Add members (CSV)").setInputFiles({ name: "more.csv", mimeType: "text/csv", buffer: Buffer.from("u4\nu5\n") });
  await page.getByText("beta-testers now has 5 members.").waitFor();
  await page.getByRole("button", { name: "Delete beta-testers" }).click();
  await page.getByRole("alert").filter({ hasText: "still used by flag beta-only" }).waitFor();
  await checkScreen(page, "cohorts");
  assertClean(page);
  await page.context().close();
});

test("import shows what will change before it is applied; copying flags to another environment too", async () => {
  const staging = await newEnvironment("staging");
  const { data: production } = await api("POST", `/projects/${staging.project.id}/environments`, { name: "production" });
  const all = { groups: [{ properties: [], rollout_percentage: 100 }] };
  await api("POST", `/environments/${staging.id}/flags`, { key: "existing", name: "Old name", filters: all });
  const doc = {
    format: "halyard-export/v1",
    flags: [
      { key: "existing", name: "New name", filters: all, active: true },
      { key: "brand-new", name: "Brand new", filters: all, active: true },
    ],
  };
  const page = await signedIn(browser, `/e/${staging.id}/bulk`);
  await page.getByLabel(/A Halyard export or a PostHog/).setInputFiles({ name: "doc.json", mimeType: "application/json", buffer: Buffer.from(JSON.stringify(doc)) });
  const preview = page.getByTestId("import-preview");
  await preview.getByText("1 to create, 1 to replace, 0 unchanged.").waitFor();
  await preview.locator('[data-flag="existing"] summary').click();
  assert.match(await preview.locator('[data-flag="existing"] ins').allTextContents().then((t) => t.join("")), /New name/);
  await checkScreen(page, "import-export");
  await page.getByRole("button", { name: /^Import into/ }).click();
  await page.getByText(/Imported: 1 flags created, 1 replaced/).waitFor();
  assert.equal((await api("GET", `/environments/${staging.id}/flags/existing`)).data.name, "New name");

  await page.getByLabel("Target environment").selectOption(String(production.id));
  await page.getByLabel("Find flags").fill("brand");
  await page.getByRole("checkbox", { name: "brand-new" }).check();
  await page.getByRole("button", { name: "Preview the copy" }).click();
  await page.getByTestId("copy-preview").getByText("1 to create, 0 to replace, 0 unchanged.").waitFor();
  await page.getByRole("button", { name: "Copy 1 flags into production" }).click();
  await page.getByText("Copied: 1 created, 0 replaced in production.").waitFor();
  assert.equal((await api("GET", `/environments/${production.id}/flags/brand-new`)).data.name, "Brand new");
  assertClean(page);
  await page.context().close();
});

test("projects: an admin sees every project and creates an environment", async () => {
  const env = await newEnvironment("projects");
  const page = await signedIn(browser, `/projects`);
  const name = env.project.name;
  await page.getByRole("heading", { name }).waitFor();
  const project = page.getByRole("region", { name, exact: true });
  await project.getByLabel(`New environment in ${name}`).fill("qa");
  await project.getByRole("button", { name: "Create environment" }).click();
  await page.getByText(/Environment qa created/).waitFor();
  await checkScreen(page, "projects");
  assertClean(page);
  await page.context().close();
});
