#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// JSON assertions for the conformance shell tests (node only, no npm packages needed).
//   jcheck.js get FILE EXPR            print the value of EXPR (strings raw, others as JSON)
//   jcheck.js eq FILE EXPR EXPECTED    exit 0 when EXPR deep-equals the JSON text EXPECTED
//   jcheck.js ok FILE EXPR             exit 0 when EXPR is truthy
// EXPR is JavaScript with `d` bound to the parsed document, e.g. `d.Roles.authenticated`.
// Comparison is order-insensitive for object keys and for the lists that the API treats as
// sets (provider ARN lists, CognitoIdentityProviders, IdentityPools, TagKeys); every other
// list (e.g. mapping Rules, which are evaluated in order) must match in order.
'use strict';
const fs = require('fs');

const SET_LISTS = new Set([
  'OpenIdConnectProviderARNs', 'SamlProviderARNs', 'CognitoIdentityProviders', 'IdentityPools',
  'TagKeys',
]);

function canon(v, key) {
  if (Array.isArray(v)) {
    const items = v.map((x) => canon(x, null));
    if (SET_LISTS.has(key)) {
      items.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    }
    return items;
  }
  if (v && typeof v === 'object') {
    const out = {};
    for (const k of Object.keys(v).sort()) out[k] = canon(v[k], k);
    return out;
  }
  return v;
}

function evaluate(file, expr) {
  const text = fs.readFileSync(file, 'utf8');
  let d;
  try {
    d = text.trim() === '' ? undefined : JSON.parse(text);
  } catch (e) {
    process.stderr.write(`jcheck: ${file} is not JSON (${e.message}):\n${text.slice(0, 2000)}\n`);
    process.exit(2);
  }
  // eslint-disable-next-line no-new-func
  return new Function('d', `return (${expr});`)(d);
}

function main(argv) {
  const [cmd, file, expr, expected] = argv;
  if (!cmd || !file || !expr) {
    process.stderr.write('usage: jcheck.js get|eq|ok FILE EXPR [EXPECTED_JSON]\n');
    process.exit(2);
  }
  const v = evaluate(file, expr);
  if (cmd === 'get') {
    if (v === undefined) process.exit(1);
    process.stdout.write(typeof v === 'string' ? v : JSON.stringify(v));
    return;
  }
  if (cmd === 'ok') {
    if (!v) {
      process.stderr.write(`jcheck: expected true: ${expr}\n`);
      process.exit(1);
    }
    return;
  }
  if (cmd === 'eq') {
    const want = canon(JSON.parse(expected), null);
    const got = canon(v, null);
    const a = JSON.stringify(got, null, 1);
    const b = JSON.stringify(want, null, 1);
    if (a !== b) {
      process.stderr.write(`jcheck: ${expr}\n  expected: ${JSON.stringify(want)}\n` +
                           `  got:      ${got === undefined ? '(absent)' : JSON.stringify(got)}\n`);
      process.exit(1);
    }
    return;
  }
  process.stderr.write(`jcheck: unknown command ${cmd}\n`);
  process.exit(2);
}

main(process.argv.slice(2));
