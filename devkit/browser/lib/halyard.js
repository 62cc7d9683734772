// The cluster under test, as devkit/e2e TestBrowserSDKs describes it in the environment, and the admin
// calls the tests make through the writer.
import assert from 'node:assert/strict';

function required(name) {
  const v = process.env[name];
  assert.ok(v, `${name} is not set: run these tests through devkit/e2e TestBrowserSDKs`);
  return v;
}

export const halyard = {
  evaluatorURL: required('HALYARD_EVALUATOR_URL'),
  writerURL: required('HALYARD_WRITER_URL'),
  adminToken: required('HALYARD_ADMIN_TOKEN'),
  environmentID: required('HALYARD_ENVIRONMENT_ID'),
  sdkKey: required('HALYARD_SDK_KEY'),
};

// patchFlag sends a JSON merge patch of one flag through the writer's admin API and resolves once the
// writer acknowledged it, to the environment version it produced and the time of the acknowledgement.
export async function patchFlag(key, patch) {
  const url = `${halyard.writerURL}/api/v1/environments/${halyard.environmentID}/flags/${key}`;
  const res = await fetch(url, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${halyard.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(patch),
  });
  const ackedAt = Date.now();
  assert.equal(res.status, 200, `PATCH ${key}: ${res.status} ${await res.text()}`);
  return { version: Number(res.headers.get('halyard-environment-version')), ackedAt };
}

// evaluatorServes polls the evaluator's /flags until check(flags) holds (flags is the v2 `flags` map for
// distinctID), at most timeoutMs.
export async function evaluatorServes(distinctID, check, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    const res = await fetch(`${halyard.evaluatorURL}/flags/?v=2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: halyard.sdkKey, distinct_id: distinctID }),
    });
    last = await res.json();
    if (res.status === 200 && check(last.flags)) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`the evaluator did not serve the change within ${timeoutMs} ms: ${JSON.stringify(last)}`);
}
