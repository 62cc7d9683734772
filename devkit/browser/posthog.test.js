// posthog-js in headless Chromium against a Halyard evaluator (its api_host): flags and payloads on load,
// onFeatureFlags, an admin PATCH through the writer then reloadFeatureFlags(), and no console error or
// failed request during the page's whole life: remote config, /flags, events and the page-leave beacon.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, watch } from './lib/browser.js';
import { servePages } from './lib/pages.js';
import { halyard, patchFlag, evaluatorServes } from './lib/halyard.js';

const distinctID = 'browser-user-1';
let browser, pages;
before(async () => {
  browser = await launch();
  pages = await servePages(['posthog'], { evaluatorURL: halyard.evaluatorURL, sdkKey: halyard.sdkKey, distinctID });
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

test('posthog-js: flags, payloads, onFeatureFlags and reloadFeatureFlags after a PATCH, with a clean console', async () => {
  const context = await browser.newContext();
  const watcher = watch(context);
  const page = await context.newPage();
  await page.goto(`${pages.url}/posthog.html`);

  await page.waitForFunction(() => window.flagEvents.length > 0, null, { timeout: 10_000 });
  assert.deepEqual(await shown(page), {
    banner: true,
    'banner-payload': { text: 'hello' },
    theme: 'dark',
    'theme-payload': { bg: '#000' },
    disabled: null, // inactive flags are left out, as PostHog does: posthog-js says undefined, "unknown"
  });

  // An event the page captures reaches the evaluator's sink and is accepted as PostHog accepts it.
  const sent = page.waitForResponse(isEvent);
  await page.evaluate(() => window.posthog.capture('button clicked', { button: 'buy' }));
  const eventRes = await sent;
  assert.equal(eventRes.status(), 200);
  assert.deepEqual(await eventRes.json(), { status: 1 });

  const { version, ackedAt } = await patchFlag('theme', {
    filters: { multivariate: { variants: [{ key: 'light', rollout_percentage: 100 }] }, payloads: { dark: null, light: '{"bg":"#fff"}' } },
  });
  assert.ok(version > 0, 'the PATCH returns the environment version');
  await evaluatorServes(distinctID, (f) => f.theme?.variant === 'light');
  const events = await page.evaluate(() => window.flagEvents.length);
  await page.evaluate(() => window.posthog.reloadFeatureFlags());
  await page.waitForFunction((n) => window.flagEvents.length > n, events, { timeout: 10_000 });
  const changedAt = await page.evaluate(() => window.flagEvents.at(-1).at);
  assert.deepEqual(await shown(page), {
    banner: true,
    'banner-payload': { text: 'hello' },
    theme: 'light',
    'theme-payload': { bg: '#fff' },
    disabled: null,
  });
  console.log(`posthog-js: PATCH acknowledged -> page shows the change after reloadFeatureFlags(): ${changedAt - ackedAt} ms`);

  // $pageleave goes with sendBeacon as the page unloads. Playwright does not report a beacon sent during
  // unload, so one is sent the same way while the page lives, then the page is left for real.
  const beacon = page.waitForResponse(isEvent);
  await page.evaluate(() => window.posthog.capture('beacon', {}, { transport: 'sendBeacon' }));
  assert.equal((await beacon).status(), 200, 'a sendBeacon event is accepted');
  await page.goto('about:blank');
  await page.close();
  await context.close();
  console.log(`posthog-js requests:\n  ${watcher.requests.join('\n  ')}`);
  assert.deepEqual(watcher.problems, [], 'no console error or failed request during the page');
});
