// SPDX-License-Identifier: Apache-2.0
// Validates YAML manifests against schema/identity-pool.schema.json with Ajv (draft 2020-12).
// usage: node validate.js SCHEMA --valid FILE... --invalid FILE...
// A "valid" file must parse and every document must validate; an "invalid" file must fail
// to parse (duplicate keys, too many aliases, syntax) or have a document that does not
// validate. Prints one line per file; exit status 1 if any expectation fails.
'use strict';
const fs = require('fs');
const path = require('path');
const modules = path.join(__dirname, '..', '..', 'node_modules');
const Ajv2020 = require(path.join(modules, 'ajv', 'dist', '2020')).default;
const YAML = require(path.join(modules, 'yaml'));

const args = process.argv.slice(2);
const schema = JSON.parse(fs.readFileSync(args.shift(), 'utf8'));
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
const validate = ajv.compile(schema);

let mode = null;
let failures = 0;
let checked = 0;
for (const arg of args) {
  if (arg === '--valid' || arg === '--invalid') {
    mode = arg;
    continue;
  }
  const text = fs.readFileSync(arg, 'utf8');
  const docs = YAML.parseAllDocuments(text, { maxAliasCount: 100, uniqueKeys: true });
  const problems = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      problems.push('yaml: ' + doc.errors[0].message.split('\n')[0]);
      continue;
    }
    let value;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      problems.push('yaml: ' + err.message);
      continue;
    }
    if (value === null || value === undefined) {
      problems.push('empty document');
      continue;
    }
    if (!validate(value)) {
      const e = validate.errors[0];
      problems.push(`${e.instancePath || '/'} ${e.message}`);
    }
  }
  if (docs.length === 0) problems.push('no documents');
  checked++;
  const ok = mode === '--valid' ? problems.length === 0 : problems.length > 0;
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${mode === '--valid' ? 'valid  ' : 'invalid'} ${arg}` +
              (problems.length ? `: ${problems[0]}` : ''));
}
console.log(`${checked - failures}/${checked} files as expected`);
process.exit(failures === 0 && checked > 0 ? 0 : 1);
