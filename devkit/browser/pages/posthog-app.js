// posthog-js pointed at a Halyard evaluator, as an application would use it: flags and payloads shown on the
// page, re-rendered whenever onFeatureFlags fires. window.flagEvents records each time it fired. The pages
// posthog.js and posthog-full.js run this with two builds of posthog-js.

const { evaluatorURL, sdkKey, distinctID } = window.HALYARD;

function show(id, value) {
  let el = document.getElementById(id);
  if (!el) {
    el = document.createElement('output');
    el.id = id;
    document.getElementById('app').append(el);
  }
  el.textContent = JSON.stringify(value ?? null);
}

// run starts posthog (a posthog-js build's default export) and renders its flags.
export function run(posthog) {
  window.flagEvents = [];
  posthog.init(sdkKey, {
    api_host: evaluatorURL,
    bootstrap: { distinctID },
    // Headless Chromium tells the page it is automated (navigator.webdriver), so posthog-js would drop its
    // events as a bot's; PostHog's advice for end-to-end tests is this setting. The events still go to the
    // evaluator, which must accept them.
    opt_out_useragent_filter: true,
  });

  posthog.onFeatureFlags((flags, variants) => {
    window.flagEvents.push({ at: Date.now(), variants });
    show('banner', posthog.isFeatureEnabled('banner'));
    show('banner-payload', posthog.getFeatureFlagPayload('banner'));
    show('theme', posthog.getFeatureFlag('theme'));
    show('theme-payload', posthog.getFeatureFlagPayload('theme'));
    show('disabled', posthog.isFeatureEnabled('disabled'));
  });

  window.posthog = posthog;
}
