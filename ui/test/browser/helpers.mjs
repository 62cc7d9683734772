// Shared by the browser tests: the cluster devkit/e2e TestAdminUI started (HALYARD_UI_FIXTURE), Debian's
// Chromium through playwright-core, the admin API for setting up, axe for accessibility, and screenshots.
import AxeBuilder from "@axe-core/playwright";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const fx = JSON.parse(readFileSync(process.env.HALYARD_UI_FIXTURE, "utf8"));

export function launch() {
  return chromium.launch({
    executablePath: fx.chromium,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

/** Calls the admin API with the bootstrap token; fails on any error status unless ok says otherwise. */
export async function api(method, path, body, { headers = {}, ok = (s) => s < 400 } = {}) {
  const res = await fetch(`${fx.writer}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${fx.token}`, "Content-Type": "application/json", ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!ok(res.status)) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return { status: res.status, data, headers: res.headers };
}

let seq = 0;
/** A fresh project and environment (with its keys), so tests do not see each other's flags. */
export async function newEnvironment(name) {
  const { data: p } = await api("POST", "/projects", { name: `${name}-${process.pid}-${++seq}` });
  const { data: env } = await api("POST", `/projects/${p.id}/environments`, { name });
  return { ...env, project: p };
}

/**
 * A page signed in with the bootstrap token (put in sessionStorage as the sign-in screen would), watched
 * for script errors and content-security-policy violations, which fail the test at the end.
 */
export async function signedIn(browser, path, { token = fx.token } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript((t) => sessionStorage.setItem("halyard.token", t), token);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  watch(page);
  await page.goto(fx.writer + path);
  return page;
}

export function watch(page) {
  const problems = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  page.problems = problems;
  return page;
}

export function assertClean(page) {
  assert.deepEqual(page.problems, [], "the page had script errors or CSP violations");
}

/** Runs axe on the page: no serious or critical violation. Also takes the screen's screenshot for docs/ui. */
export async function checkScreen(page, name) {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`),
    [],
    `accessibility violations on ${name}`,
  );
  if (process.env.HALYARD_UI_SCREENSHOTS === "1") {
    const dir = join(fx.docs, "ui");
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, `${name}.png`), fullPage: false });
  }
}

/** Polls fn until it returns without throwing, or fails with its last error after ms. */
export async function eventually(fn, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** What an evaluator answers (PostHog /flags v2) for a user. */
export async function evaluate(evaluator, sdkKey, distinctId, personProperties = {}) {
  const res = await fetch(`${evaluator}/flags?v=2`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: sdkKey, distinct_id: distinctId, person_properties: personProperties }),
  });
  if (res.status !== 200) throw new Error(`evaluator /flags: ${res.status} ${await res.text()}`);
  return (await res.json()).flags;
}
