// The OpenFeature web SDK with @openfeature/ofrep-web-provider in headless Chromium against a Halyard
// evaluator: the page shows a flag's value; an admin PATCH through the writer changes what it shows through
// the evaluator's SSE event stream, with no reload and no polling configured. The time from the PATCH's
// acknowledgement to the page's change is measured and printed (target: 1 s).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, watch } from './lib/browser.js';
import { servePages } from './lib/pages.js';
import { halyard, patchFlag } from './lib/halyard.js';

const distinctID = 'browser-user-2';
let browser, pages;
before(async () => {
  browser = await launch();
  pages = await servePages(['ofrep'], { evaluatorURL: halyard.evaluatorURL, sdkKey: halyard.sdkKey, distinctID });
});
after(async () => {
  await browser?.close();
  await pages?.close();
});

const variant = (key) => ({ filters: { multivariate: { variants: [{ key, rollout_percentage: 100 }] } } });

test('OFREP web provider: a PATCH reaches the page through the event stream, with no reload or polling', async () => {
  const context = await browser.newContext();
  const watcher = watch(context);
  const page = await context.newPage();
  const stream = page.waitForResponse((r) => r.request().resourceType() === 'eventsource', { timeout: 10_000 });
  await page.goto(`${pages.url}/ofrep.html`);
  await page.waitForFunction(() => window.changes.length > 0, null, { timeout: 10_000 });
  assert.deepEqual(await page.evaluate(() => window.changes.at(-1).value), 'welcome');
  const res = await stream; // the provider opened the stream the bulk answer advertised
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-type'], /^text\/event-stream/);
  assert.doesNotMatch(res.url(), new RegExp(halyard.sdkKey), 'the stream URL carries no SDK key');

  const latencies = [];
  for (const value of ['hello', 'bonjour', 'welcome']) {
    const shown = await page.evaluate(() => window.changes.length);
    const { ackedAt } = await patchFlag('headline', variant(value));
    await page.waitForFunction(
      ([n, v]) => window.changes.slice(n).some((c) => c.value === v),
      [shown, value],
      { timeout: 10_000 },
    );
    const change = await page.evaluate(([n, v]) => window.changes.slice(n).find((c) => c.value === v), [shown, value]);
    assert.equal(change.errorCode, null);
    latencies.push(change.at - ackedAt);
  }
  console.log(`OFREP web provider: PATCH acknowledged -> page shows the change: ${latencies.join(', ')} ms (target 1000 ms)`);
  const sorted = [...latencies].sort((a, b) => a - b);
  assert.ok(sorted[1] <= 1000, `median change time ${sorted[1]} ms is over the 1 s target`);

  // No polling: after the first bulk evaluation, every one is a refetch the stream asked for (it names the
  // configuration's ETag; the stream also sends one when it connects).
  const bulk = watcher.requests.filter((r) => /^POST \S+\/ofrep\/v1\/evaluate\/flags[? ]/.test(r));
  assert.doesNotMatch(bulk[0], /flagConfigEtag/);
  for (const r of bulk.slice(1)) assert.match(r, /\?flagConfigEtag=/, `a refetch the stream did not ask for:\n${bulk.join('\n')}`);
  const problems = [...watcher.problems];
  await context.close(); // closing the page ends the stream; that is not a failure of the page
  console.log(`OFREP requests:\n  ${watcher.requests.join('\n  ')}`);
  assert.deepEqual(problems, [], 'no console error or failed request during the page');
});
