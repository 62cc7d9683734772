// Real JavaScript SDKs against a running Halyard evaluator: posthog-node (remote evaluation through /flags
// and local evaluation from the definitions endpoint) and the OpenFeature server SDK with the OFREP provider.
// devkit/e2e TestJSSDKs starts the cluster, publishes the fixture and writes HALYARD_SDK_FIXTURE: the
// evaluator URL, the keys and, for every case, the engine's expected value and payload of every flag.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PostHog } from 'posthog-node';
import { OpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';

const fixture = JSON.parse(readFileSync(process.env.HALYARD_SDK_FIXTURE, 'utf8'));
const { url, sdkKey, serverKey, cases, multivariate } = fixture;
const clients = [];
after(async () => {
  await Promise.all(clients.map((c) => c.shutdown()));
  await OpenFeature.close();
});

// payloadOf is what posthog-node hands out for a payload given as JSON text ('' = none): the parsed value.
const payloadOf = (text) => (text === '' ? undefined : JSON.parse(text));

function options(c, extra) {
  return {
    groups: c.groups ?? {},
    personProperties: c.person_properties,
    groupProperties: c.group_properties ?? {},
    sendFeatureFlagEvents: false,
    ...extra,
  };
}

// statuses records the status of every definitions download.
const statuses = [];
async function recordingFetch(url, options) {
  const res = await fetch(url, options);
  if (url.includes('/flags/definitions') || url.includes('/local_evaluation')) statuses.push(res.status);
  return res;
}

function posthog(personalApiKey) {
  const c = new PostHog(sdkKey, {
    fetch: recordingFetch,
    host: url,
    personalApiKey,
    featureFlagsPollingInterval: 3_600_000,
    fetchRetryCount: 0,
    flushAt: 1000,
    disableGeoip: true,
  });
  clients.push(c);
  return c;
}

async function compare(client, extra, skip = {}) {
  for (const { case: c, want } of cases) {
    for (const [key, w] of Object.entries(want)) {
      if (key in skip) continue;
      const value = await client.getFeatureFlag(key, c.distinct_id, options(c, extra));
      assert.deepEqual(value, w.value, `${c.distinct_id} ${key}: value`);
      const payload = await client.getFeatureFlagPayload(key, c.distinct_id, undefined, options(c, extra));
      assert.deepEqual(payload ?? undefined, payloadOf(w.payload), `${c.distinct_id} ${key}: payload`);
    }
  }
}

test('posthog-node remote evaluation equals the engine for every flag kind', async () => {
  await compare(posthog(undefined), {});
});

test('posthog-node local evaluation from the definitions endpoint equals the engine', async () => {
  const client = posthog(serverKey);
  assert.equal(await client.waitForLocalEvaluationReady(10_000), true, 'definitions loaded');
  await compare(client, { onlyEvaluateLocally: true }, fixture.notLocal['posthog-node']);
  await client.reloadFeatureFlags();
  assert.deepEqual(statuses, [200, 304], 'definitions downloads: 200, then 304 with the ETag');
});

test('OpenFeature OFREP provider equals the engine; errors carry OFREP codes', async () => {
  await OpenFeature.setProviderAndWait(
    'halyard',
    new OFREPProvider({ baseUrl: url, headers: [['Authorization', `Bearer ${sdkKey}`]] }),
  );
  const client = OpenFeature.getClient('halyard');
  for (const { case: c, want } of cases) {
    const ctx = {
      targetingKey: c.distinct_id,
      ...c.person_properties,
      ...(c.groups ? { groups: c.groups, groupProperties: c.group_properties } : {}),
    };
    for (const [key, w] of Object.entries(want)) {
      let d;
      if (typeof w.value === 'string') {
        d = await client.getStringDetails(key, 'fallback', ctx);
      } else {
        d = await client.getBooleanDetails(key, !w.value, ctx);
      }
      assert.equal(d.errorCode, undefined, `${c.distinct_id} ${key}: ${d.errorMessage}`);
      assert.equal(d.value, w.value, `${c.distinct_id} ${key}: value`);
      assert.equal(d.flagMetadata.payload, w.payload === '' ? undefined : w.payload, `${c.distinct_id} ${key}: payload`);
      assert.ok(['TARGETING_MATCH', 'SPLIT', 'DISABLED', 'DEFAULT'].includes(d.reason), `${key}: reason ${d.reason}`);
      if (multivariate.includes(key) && typeof w.value !== 'string') {
        // An unmatched multivariate flag is false (PostHog's value): a string getter gets its default.
        const s = await client.getStringDetails(key, 'fallback', ctx);
        assert.equal(s.value, 'fallback');
        assert.equal(s.errorCode, 'TYPE_MISMATCH');
      }
    }
  }
  const missing = await client.getBooleanDetails('no-such-flag', false, { targetingKey: 'u' });
  assert.equal(missing.errorCode, 'FLAG_NOT_FOUND');
  assert.equal(missing.value, false);
  const anonymous = await client.getBooleanDetails('bool-on', false, { email: 'a@b.c' });
  assert.equal(anonymous.errorCode, 'TARGETING_KEY_MISSING');

  await OpenFeature.setProviderAndWait(
    'wrong-key',
    new OFREPProvider({ baseUrl: url, headers: [['Authorization', 'Bearer not-a-key']] }),
  );
  const denied = await OpenFeature.getClient('wrong-key').getBooleanDetails('bool-on', false, { targetingKey: 'u' });
  assert.equal(denied.value, false);
  assert.equal(denied.reason, 'ERROR');
});
