// posthog-js in headless Chromium against a Halyard evaluator (its api_host): flags and payloads on load,
// onFeatureFlags, an admin PATCH through the writer then reloadFeatureFlags(), and no console error or
// failed request during the page's whole life: remote config, /flags, events and the page-leave beacon.
// Two builds of posthog-js: the npm default (remote config as a script) and the full build with no script
// loading (remote config as JSON).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, watch } from './lib/browser.js';
import { servePages } from './lib/pages.js';
import { halyard, patchFlag, evaluatorServes } from './lib/halyard.js';

const distinctID = 'browser-user-1';
let browser, pages;
before(async () => {
  browser = await launch();
  pages = await servePages(['posthog', 'posthog-full'], { evaluatorURL: halyard.evaluatorURL, sdkKey: halyard.sdkKey, distinctID });
});
after(async () => {
  await browser?.close();
  await pages?.close();
});

// isEvent: a request or response of posthog-js's event endpoints.
const isEvent = (r) => /^\/(e|i\/v0\/e)\/?$/.test(new URL(r.url()).pathname);

// shown reads the page's rendered flags.
const shown = (page) =>
  page.evaluate(() =>
    Object.fromEntries([...document.querySelectorAll('output')].map((el) => [el.id, JSON.parse(el.textContent)])),
  );

// setTheme makes the theme flag serve one variant with its payload, and waits until the evaluator serves it.
// (The patch is a JSON merge patch: null removes the other variants' payloads.)
async function setTheme(variant, payload) {
  const payloads = { dark: null, light: null, [variant]: payload };
  const change = await patchFlag('theme', {
    filters: { multivariate: { variants: [{ key: variant, rollout_percentage: 100 }] }, payloads },
  });
  await evaluatorServes(distinctID, (f) => f.theme?.variant === variant);
  return change;
}

// expected is what the page shows with the theme flag serving variant (payload bg).
const expected = (variant, bg) => ({
  banner: true,
  'banner-payload': { text: 'hello' },
  theme: variant,
  'theme-payload': { bg },
  disabled: null, // inactive flags are left out, as PostHog does: posthog-js says undefined, "unknown"
});

for (const [name, config] of [['posthog', 'config.js'], ['posthog-full', 'config']]) {
  test(`posthog-js (${name}): flags, payloads, onFeatureFlags, reloadFeatureFlags after a PATCH; a clean console`, async () => {
    await setTheme('dark', '{"bg":"#000"}');
    const context = await browser.newContext();
    const watcher = watch(context);
    const page = await context.newPage();
    await page.goto(`${pages.url}/${name}.html`);

    await page.waitForFunction(() => window.flagEvents.length > 0, null, { timeout: 10_000 });
    assert.deepEqual(await shown(page), expected('dark', '#000'));
    assert.ok(
      watcher.requests.some((r) => r.startsWith(`GET ${halyard.evaluatorURL}/array/${halyard.sdkKey}/${config} 200`)),
      `the remote configuration was read from /array/<token>/${config}`,
    );

    // An event the page captures reaches the evaluator's sink and is accepted as PostHog accepts it.
    const sent = page.waitForResponse(isEvent);
    await page.evaluate(() => window.posthog.capture('button clicked', { button: 'buy' }));
    const eventRes = await sent;
    assert.equal(eventRes.status(), 200);
    assert.deepEqual(await eventRes.json(), { status: 1 });

    const { version, ackedAt } = await setTheme('light', '{"bg":"#fff"}');
    assert.ok(version > 0, 'the PATCH returns the environment version');
    const events = await page.evaluate(() => window.flagEvents.length);
    await page.evaluate(() => window.posthog.reloadFeatureFlags());
    await page.waitForFunction((n) => window.flagEvents.length > n, events, { timeout: 10_000 });
    const changedAt = await page.evaluate(() => window.flagEvents.at(-1).at);
    assert.deepEqual(await shown(page), expected('light', '#fff'));
    console.log(`posthog-js (${name}): PATCH acknowledged -> page shows the change after reloadFeatureFlags(): ${changedAt - ackedAt} ms`);

    // $pageleave goes with sendBeacon as the page unloads. Playwright does not report a beacon sent during
    // unload, so one is sent the same way while the page lives, then the page is left for real.
    const beacon = page.waitForResponse(isEvent);
    await page.evaluate(() => window.posthog.capture('beacon', {}, { transport: 'sendBeacon' }));
    assert.equal((await beacon).status(), 200, 'a sendBeacon event is accepted');
    await page.goto('about:blank');
    await page.close();
    await context.close();
    console.log(`posthog-js (${name}) requests:\n  ${watcher.requests.join('\n  ')}`);
    assert.deepEqual(watcher.problems, [], 'no console error or failed request during the page');
  });
}
