// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the SDK v3 conformance tests (test_sdk_js_v3*.mjs).
import assert from 'node:assert/strict';

// The environment the test's .sh wrapper sets; throws when a name is missing.
export function requireEnv(script, names) {
  for (const name of names) {
    if (!process.env[name]) throw new Error(`run through ${script} (${name} is not set)`);
  }
  return process.env;
}

// Resolves to the error a command failed with; fails the test when it succeeded.
export async function failure(client, command) {
  let out;
  try {
    out = await client.send(command);
  } catch (err) {
    return err;
  }
  assert.fail(`expected an error, got ${JSON.stringify(out)}`);
}

// A web identity token of issuer with claims, signed by the emulator at url with its own test
// identity provider (POST /_local/token): it verifies even when the emulator verifies
// signatures (--credentials), which makes it verify web identity tokens too.
export async function mintToken(url, issuer, claims = {}) {
  const res = await fetch(`${url}/_local/token`, { method: 'POST', body: JSON.stringify({ issuer, claims }) });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).token;
}
