// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, and a watcher that records
// everything a page's user would call an error: console errors, uncaught exceptions, failed requests and
// HTTP error statuses.
import { chromium } from 'playwright-core';

// launchArgs keep Chromium quiet and self-contained: no sandbox (CI runs as root), no GPU, and none of the
// background traffic (updates, sync, safe browsing) a test machine cannot reach anyway.
const launchArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

// launch starts a headless Chromium. CHROMIUM overrides the binary (Debian's package puts it in /usr/bin).
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: launchArgs,
  });
}

// watch records the problems of every page of context, and every request with its status.
export function watch(context) {
  const problems = [];
  const requests = [];
  context.on('page', (page) => watchPage(page, problems));
  context.on('requestfinished', async (req) => {
    const res = await req.response();
    requests.push(`${req.method()} ${req.url()} ${res?.status()}`);
    if (res && res.status() >= 400) problems.push(`HTTP ${res.status()}: ${req.method()} ${req.url()}`);
  });
  context.on('requestfailed', (req) => {
    requests.push(`${req.method()} ${req.url()} failed`);
    problems.push(`request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
  });
  return { problems, requests };
}

function watchPage(page, problems) {
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
}
