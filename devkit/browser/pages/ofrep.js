// The OpenFeature web SDK with the OFREP web provider pointed at a Halyard evaluator, configured as its
// README shows: a base URL and the SDK key, no polling (the provider's default). The page shows one flag and
// re-renders on every ConfigurationChanged; window.changes records each value shown and when.
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';

const { evaluatorURL, sdkKey, distinctID } = window.HALYARD;
window.changes = [];
const client = OpenFeature.getClient();

function render() {
  const d = client.getStringDetails('headline', 'fallback');
  const el = document.getElementById('app');
  el.textContent = d.value;
  el.dataset.reason = d.reason;
  el.dataset.error = d.errorCode ?? '';
  window.changes.push({ at: Date.now(), value: d.value, reason: d.reason, errorCode: d.errorCode ?? null });
}

client.addHandler(ProviderEvents.ConfigurationChanged, render);
await OpenFeature.setContext({ targetingKey: distinctID });
await OpenFeature.setProviderAndWait(
  new OFREPWebProvider({ baseUrl: evaluatorURL, headers: [['Authorization', `Bearer ${sdkKey}`]] }),
);
render();
