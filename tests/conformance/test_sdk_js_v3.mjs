// SPDX-License-Identifier: Apache-2.0
// Conformance: the AWS SDK for JavaScript v3 (`@aws-sdk/client-cognito-identity`), unchanged,
// against cognito-identity-local. Run by test_sdk_js_v3.sh, which starts two emulators and
// sets EMU_URL (no signature check), EMU_URL_SIGNED (--credentials EMU_AKID/EMU_SECRET),
// EMU_ACCOUNT and EMU_REGION.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import {
  CognitoIdentityClient,
  CreateIdentityPoolCommand,
  DeleteIdentityPoolCommand,
  DescribeIdentityPoolCommand,
  GetIdentityPoolRolesCommand,
  GetPrincipalTagAttributeMapCommand,
  ListIdentityPoolsCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  SetIdentityPoolRolesCommand,
  SetPrincipalTagAttributeMapCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateIdentityPoolCommand,
  paginateListIdentityPools,
} from '@aws-sdk/client-cognito-identity';
import { failure, mintToken, requireEnv } from './sdk_helpers.mjs';

const env = requireEnv('test_sdk_js_v3.sh', [
  'EMU_URL', 'EMU_URL_SIGNED', 'EMU_ACCOUNT', 'EMU_AKID', 'EMU_SECRET',
]);
const ACCOUNT = env.EMU_ACCOUNT;
const REGION = env.EMU_REGION || 'us-east-1';
const UP1 = 'cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34';
const UP1_CLIENT = '6lhlkkfbfb4q5kpp90urffae';
const ROLE_AUTH = `arn:aws:iam::${ACCOUNT}:role/SdkV3Auth`;
const ROLE_GUEST = `arn:aws:iam::${ACCOUNT}:role/SdkV3Guest`;
const ID_RE = /^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function client(endpoint, accessKeyId = 'AKIDSDKV3ANYKEY00001', secretAccessKey = 'any') {
  return new CognitoIdentityClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
  });
}
const cognito = client(env.EMU_URL);

// Sends a command and returns the output without the SDK's $metadata.
async function send(c, command) {
  const out = await c.send(command);
  assert.equal(out.$metadata.httpStatusCode, 200);
  const { $metadata, ...rest } = out;
  return rest;
}

const poolArn = (id) => `arn:aws:cognito-identity:${REGION}:${ACCOUNT}:identitypool/${id}`;

const full = {
  IdentityPoolName: 'SdkV3 Full',
  AllowUnauthenticatedIdentities: false,
  AllowClassicFlow: true,
  SupportedLoginProviders: { 'accounts.google.com': '123456789012-v3.apps.googleusercontent.com' },
  DeveloperProviderName: 'login.example.sdkv3',
  OpenIdConnectProviderARNs: [`arn:aws:iam::${ACCOUNT}:oidc-provider/auth.example.com`],
  CognitoIdentityProviders: [
    { ProviderName: UP1, ClientId: UP1_CLIENT, ServerSideTokenCheck: false },
  ],
  SamlProviderARNs: [`arn:aws:iam::${ACCOUNT}:saml-provider/ExampleIdP`],
  IdentityPoolTags: { team: 'sdk', env: 'v3' },
};
let fullId;

test('CreateIdentityPoolCommand with every member returns it as sent', async () => {
  const pool = await send(cognito, new CreateIdentityPoolCommand(full));
  assert.match(pool.IdentityPoolId, ID_RE);
  fullId = pool.IdentityPoolId;
  assert.deepEqual(pool, { IdentityPoolId: fullId, ...full });
  assert.deepEqual(await send(cognito, new DescribeIdentityPoolCommand({ IdentityPoolId: fullId })),
    { IdentityPoolId: fullId, ...full });
});

test('UpdateIdentityPoolCommand renames in place and clears omitted members', async () => {
  const pool = await send(cognito, new UpdateIdentityPoolCommand({
    IdentityPoolId: fullId,
    IdentityPoolName: 'SdkV3 Renamed',
    AllowUnauthenticatedIdentities: true,
    // Set to true at create, omitted here: back to its default, and still returned.
    AllowClassicFlow: false,
    DeveloperProviderName: 'login.example.sdkv3',
    CognitoIdentityProviders: full.CognitoIdentityProviders,
  }));
  const { IdentityPoolTags, ...rest } = pool;
  assert.equal(typeof IdentityPoolTags, 'object');
  assert.deepEqual(rest, {
    IdentityPoolId: fullId,
    IdentityPoolName: 'SdkV3 Renamed',
    AllowUnauthenticatedIdentities: true,
    // Set to true at create, omitted here: back to its default, and still returned.
    AllowClassicFlow: false,
    DeveloperProviderName: 'login.example.sdkv3',
    CognitoIdentityProviders: full.CognitoIdentityProviders,
  });
});

test('SetIdentityPoolRolesCommand / GetIdentityPoolRolesCommand', async () => {
  const input = {
    IdentityPoolId: fullId,
    Roles: { authenticated: ROLE_AUTH, unauthenticated: ROLE_GUEST },
    RoleMappings: {
      [`${UP1}:${UP1_CLIENT}`]: { Type: 'Token', AmbiguousRoleResolution: 'AuthenticatedRole' },
    },
  };
  assert.deepEqual(await send(cognito, new SetIdentityPoolRolesCommand(input)), {});
  assert.deepEqual(await send(cognito, new GetIdentityPoolRolesCommand({ IdentityPoolId: fullId })),
    input);
  const err = await failure(cognito, new SetIdentityPoolRolesCommand({
    IdentityPoolId: fullId,
    Roles: {},
    RoleMappings: { 'graph.facebook.com': { Type: 'Token', AmbiguousRoleResolution: 'Deny' } },
  }));
  assert.equal(err.name, 'InvalidParameterException');
  assert.equal(err.$metadata.httpStatusCode, 400);
  assert.equal(err.$fault, 'client');
  assert.equal(err.message,
    '(graph.facebook.com) is not a valid RoleMapping ProviderName or is not a configured provider.');
  await send(cognito, new SetIdentityPoolRolesCommand({ IdentityPoolId: fullId, Roles: {} }));
  const cleared = await send(cognito, new GetIdentityPoolRolesCommand({ IdentityPoolId: fullId }));
  assert.deepEqual(cleared.Roles ?? {}, {});
  assert.equal(cleared.RoleMappings, undefined);
});

test('SetPrincipalTagAttributeMapCommand / GetPrincipalTagAttributeMapCommand', async () => {
  const input = {
    IdentityPoolId: fullId,
    IdentityProviderName: UP1,
    UseDefaults: false,
    PrincipalTags: { project: 'custom:project' },
  };
  assert.deepEqual(await send(cognito, new SetPrincipalTagAttributeMapCommand(input)), input);
  assert.deepEqual(await send(cognito, new GetPrincipalTagAttributeMapCommand({
    IdentityPoolId: fullId, IdentityProviderName: UP1,
  })), input);
});

test('TagResourceCommand / UntagResourceCommand / ListTagsForResourceCommand', async () => {
  const ResourceArn = poolArn(fullId);
  await send(cognito, new UntagResourceCommand({ ResourceArn, TagKeys: ['team', 'env'] }));
  assert.deepEqual((await send(cognito, new ListTagsForResourceCommand({ ResourceArn }))).Tags ?? {}, {});
  assert.deepEqual(await send(cognito, new TagResourceCommand({ ResourceArn, Tags: { x: 'y', z: '' } })), {});
  assert.deepEqual(await send(cognito, new ListTagsForResourceCommand({ ResourceArn })),
    { Tags: { x: 'y', z: '' } });
});

test('paginateListIdentityPools returns every pool once', async () => {
  const created = [fullId];
  for (let batch = 0; batch < 5; batch++) {
    const calls = [];
    for (let i = 0; i < 10; i++) {
      calls.push(send(cognito, new CreateIdentityPoolCommand({
        IdentityPoolName: `sdkv3 page ${batch * 10 + i}`, AllowUnauthenticatedIdentities: true,
      })));
    }
    created.push(...(await Promise.all(calls)).map((p) => p.IdentityPoolId));
  }
  const sizes = [];
  const ids = [];
  for await (const page of paginateListIdentityPools({ client: cognito, pageSize: 20 }, {})) {
    sizes.push(page.IdentityPools.length);
    ids.push(...page.IdentityPools.map((p) => p.IdentityPoolId));
    assert.ok(sizes.length <= 10, 'paginator terminates');
  }
  assert.deepEqual(sizes, [20, 20, 11]);
  assert.deepEqual(ids.sort(), created.sort());

  const first = await send(cognito, new ListIdentityPoolsCommand({ MaxResults: 60 }));
  assert.equal(first.IdentityPools.length, 51);
  assert.equal(first.NextToken, undefined);
});

// The emulator's control endpoints (docs/emulator.md): fault rules and the request log.
async function setFaults(rules) {
  const res = await fetch(`${env.EMU_URL}/_local/faults`, { method: 'POST', body: JSON.stringify(rules) });
  assert.equal(res.status, 200, await res.text());
}
async function loggedSince(seq) {
  const log = await (await fetch(`${env.EMU_URL}/_local/requests?since=${seq}`)).json();
  return { last: log.last_seq, calls: log.requests.filter((r) => r.seq > seq) };
}

test('the standard retry strategy retries InternalErrorException and throttling', async () => {
  const retrying = new CognitoIdentityClient({
    endpoint: env.EMU_URL,
    region: REGION,
    credentials: { accessKeyId: 'AKIDSDKV3ANYKEY00001', secretAccessKey: 'any' },
    maxAttempts: 3,
  });
  const start = (await loggedSince(0)).last;
  await setFaults([{ operation: 'DescribeIdentityPool', error: 1, count: 1 },
    { operation: 'GetIdentityPoolRoles', throttle: 1, count: 1 }]);
  const out = await retrying.send(new DescribeIdentityPoolCommand({ IdentityPoolId: fullId }));
  assert.equal(out.IdentityPoolId, fullId);
  assert.equal(out.$metadata.attempts, 2);
  const roles = await retrying.send(new GetIdentityPoolRolesCommand({ IdentityPoolId: fullId }));
  assert.equal(roles.$metadata.attempts, 2);
  const log = await loggedSince(start);
  assert.deepEqual(log.calls.map((c) => [c.operation, c.status]), [
    ['DescribeIdentityPool', 500], ['DescribeIdentityPool', 200],
    ['GetIdentityPoolRoles', 400], ['GetIdentityPoolRoles', 200],
  ]);

  await setFaults([{ operation: 'ListIdentityPools', error: 1 }]);
  const err = await failure(retrying, new ListIdentityPoolsCommand({ MaxResults: 1 }));
  await setFaults([]);
  assert.equal(err.name, 'InternalErrorException');
  assert.equal(err.$fault, 'server');
  assert.equal(err.$metadata.httpStatusCode, 500);
  assert.equal(err.$metadata.attempts, 3);
});

test('errors by name and HTTP status', async () => {
  const gone = 'us-east-1:00000000-0000-0000-0000-000000000000';
  let err = await failure(cognito, new DescribeIdentityPoolCommand({ IdentityPoolId: gone }));
  assert.ok(err instanceof ResourceNotFoundException, 'modeled exception class');
  assert.equal(err.name, 'ResourceNotFoundException');
  assert.equal(err.$metadata.httpStatusCode, 400);
  assert.equal(err.message, `IdentityPool '${gone}' not found.`);

  err = await failure(cognito, new ListIdentityPoolsCommand({ MaxResults: 0 }));
  assert.equal(err.name, 'ValidationException');
  assert.equal(err.$metadata.httpStatusCode, 400);
  assert.match(err.message, /at 'maxResults' failed to satisfy constraint/);

  err = await failure(cognito, new CreateIdentityPoolCommand({
    IdentityPoolName: '', AllowUnauthenticatedIdentities: false,
  }));
  assert.equal(err.name, 'ValidationException', 'v3 does not check lengths: the service does');
  // An empty value breaks the length and (on AWS, as for Cognito user pools' names) the pattern.
  assert.match(err.message, /^[12] validation errors? detected: /);
  assert.ok(err.message.includes("Value '' at 'identityPoolName' failed to satisfy constraint: " +
    'Member must have length greater than or equal to 1'), err.message);

  err = await failure(cognito, new DescribeIdentityPoolCommand({ IdentityPoolId: 'us-east-2:mock' }));
  assert.equal(err.name, 'ValidationException');
  assert.equal(err.message, "1 validation error detected: Value 'us-east-2:mock' at 'identityPoolId' " +
    'failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+');

  assert.deepEqual(await send(cognito, new DeleteIdentityPoolCommand({ IdentityPoolId: fullId })), {});
  err = await failure(cognito, new DeleteIdentityPoolCommand({ IdentityPoolId: fullId }));
  assert.equal(err.name, 'ResourceNotFoundException');
});

test('signature verification: the right secret works, a wrong one does not', async () => {
  const signed = client(env.EMU_URL_SIGNED, env.EMU_AKID, env.EMU_SECRET);
  const pool = await send(signed, new CreateIdentityPoolCommand({
    IdentityPoolName: 'SdkV3 Signed', AllowUnauthenticatedIdentities: false,
  }));
  assert.match(pool.IdentityPoolId, ID_RE);
  const pages = [];
  for await (const page of paginateListIdentityPools({ client: signed, pageSize: 5 }, {})) {
    pages.push(page);
  }
  assert.equal(pages.length, 1);

  const wrong = client(env.EMU_URL_SIGNED, env.EMU_AKID, `${env.EMU_SECRET}x`);
  let err = await failure(wrong, new DescribeIdentityPoolCommand({ IdentityPoolId: pool.IdentityPoolId }));
  assert.equal(err.name, 'InvalidSignatureException');
  assert.ok([400, 403].includes(err.$metadata.httpStatusCode), `status ${err.$metadata.httpStatusCode}`);

  const unknown = client(env.EMU_URL_SIGNED, 'AKIDNOTCONFIGURED003', env.EMU_SECRET);
  err = await failure(unknown, new DescribeIdentityPoolCommand({ IdentityPoolId: pool.IdentityPoolId }));
  assert.equal(err.name, 'UnrecognizedClientException');
  assert.ok([400, 403].includes(err.$metadata.httpStatusCode), `status ${err.$metadata.httpStatusCode}`);
});

test('default credential chain with AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE (CI OIDC) via AWS_ENDPOINT_URL_STS', async () => {
  // A fresh process with only these variables: the SDK's own web-identity provider calls the
  // emulator's STS (unsigned AssumeRoleWithWebIdentity), then signs cognito-identity calls
  // with the temporary credentials and their session token, verified by the emulator.
  const dir = mkdtempSync(join(tmpdir(), 'cr-conformance-oidc-'));
  try {
    // the emulator verifies web identity tokens (--credentials): one its test IdP signed
    writeFileSync(join(dir, 'token'), await mintToken(env.EMU_URL_SIGNED,
      'https://token.actions.githubusercontent.com', { sub: 'repo:example/infra:environment:prod' }));
    const clientPath = createRequire(import.meta.url).resolve('@aws-sdk/client-cognito-identity');
    const script = `
      const { CognitoIdentityClient, CreateIdentityPoolCommand, ListTagsForResourceCommand } =
        require(${JSON.stringify(clientPath)});
      (async () => {
        const c = new CognitoIdentityClient({ endpoint: process.env.EMU_URL_SIGNED, region: 'us-east-1', maxAttempts: 1 });
        const pool = await c.send(new CreateIdentityPoolCommand({ IdentityPoolName: 'oidc', AllowUnauthenticatedIdentities: false }));
        const arn = 'arn:aws:cognito-identity:us-east-1:135792468024:identitypool/' + pool.IdentityPoolId;
        const tags = await c.send(new ListTagsForResourceCommand({ ResourceArn: arn }));
        const creds = await c.config.credentials();
        console.log(JSON.stringify({ id: pool.IdentityPoolId, tags: tags.Tags, key: creds.accessKeyId,
          session: Boolean(creds.sessionToken) }));
      })().catch((e) => { console.error(e.name + ': ' + e.message); process.exit(1); });`;
    const childEnv = {
      PATH: env.PATH, HOME: dir, AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none'),
      AWS_EC2_METADATA_DISABLED: 'true', NO_PROXY: '127.0.0.1,localhost',
      AWS_ROLE_ARN: 'arn:aws:iam::135792468024:role/GitHubDeploy', AWS_ROLE_SESSION_NAME: 'gha-run',
      AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'token'), AWS_ENDPOINT_URL_STS: env.EMU_URL_SIGNED,
      EMU_URL_SIGNED: env.EMU_URL_SIGNED, NODE_NO_WARNINGS: '1',
    };
    const stdout = await new Promise((resolve, reject) => {
      execFile(process.execPath, ['-e', script], { env: childEnv, timeout: 30000 }, (err, out, errOut) => {
        if (err) reject(new Error(`child failed: ${errOut || err.message}`)); else resolve(out);
      });
    });
    const got = JSON.parse(stdout);
    assert.match(got.id, ID_RE);
    assert.deepEqual(got.tags, {});
    assert.match(got.key, /^ASIA/);
    assert.equal(got.session, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the region comes from the client: pools, ids and ARNs per region; request ids', async () => {
  const eu = new CognitoIdentityClient({
    endpoint: env.EMU_URL, region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDSDKV3ANYKEY00001', secretAccessKey: 'any' }, maxAttempts: 1,
  });
  const out = await eu.send(new CreateIdentityPoolCommand({
    IdentityPoolName: 'SdkV3 Ireland', AllowUnauthenticatedIdentities: false,
  }));
  assert.match(out.$metadata.requestId, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const id = out.IdentityPoolId;
  assert.match(id, /^eu-west-1:[0-9a-f-]{36}$/);
  const tags = await send(eu, new ListTagsForResourceCommand({
    ResourceArn: `arn:aws:cognito-identity:eu-west-1:${ACCOUNT}:identitypool/${id}`,
  }));
  assert.deepEqual(tags, { Tags: {} });
  const err = await failure(cognito, new DescribeIdentityPoolCommand({ IdentityPoolId: id }));
  assert.equal(err.name, 'ResourceNotFoundException', 'an eu-west-1 pool is unknown in us-east-1');
  assert.ok(err.$metadata.requestId, 'errors carry a request id too');
  const page = await send(eu, new ListIdentityPoolsCommand({ MaxResults: 60 }));
  assert.deepEqual(page.IdentityPools, [{ IdentityPoolId: id, IdentityPoolName: 'SdkV3 Ireland' }]);
});

test('signed retries and clock-skew correction work as against AWS', async () => {
  // Retried requests are signed again (new amz-sdk-request attempt header): inject one 500 on
  // the verifying emulator (faults apply after authentication).
  const res = await fetch(`${env.EMU_URL_SIGNED}/_local/faults`, {
    method: 'POST', body: JSON.stringify([{ operation: 'ListIdentityPools', error: 1, count: 1 }]),
  });
  assert.equal(res.status, 200, await res.text());
  const signed = new CognitoIdentityClient({
    endpoint: env.EMU_URL_SIGNED, region: REGION, maxAttempts: 2,
    credentials: { accessKeyId: env.EMU_AKID, secretAccessKey: env.EMU_SECRET },
  });
  const page = await signed.send(new ListIdentityPoolsCommand({ MaxResults: 5 }));
  assert.equal(page.$metadata.attempts, 2);

  // A client whose clock is 15 minutes slow is refused (Signature expired), takes the
  // server's Date header, corrects its offset and succeeds on the second attempt.
  const skewed = new CognitoIdentityClient({
    endpoint: env.EMU_URL_SIGNED, region: REGION, maxAttempts: 2, systemClockOffset: -15 * 60e3,
    credentials: { accessKeyId: env.EMU_AKID, secretAccessKey: env.EMU_SECRET },
  });
  const again = await skewed.send(new ListIdentityPoolsCommand({ MaxResults: 5 }));
  assert.equal(again.$metadata.attempts, 2);
  assert.ok(Math.abs(skewed.config.systemClockOffset) < 60e3, `offset ${skewed.config.systemClockOffset}`);

  const once = new CognitoIdentityClient({
    endpoint: env.EMU_URL_SIGNED, region: REGION, maxAttempts: 1, systemClockOffset: 15 * 60e3,
    credentials: { accessKeyId: env.EMU_AKID, secretAccessKey: env.EMU_SECRET },
  });
  const err = await failure(once, new ListIdentityPoolsCommand({ MaxResults: 5 }));
  assert.equal(err.name, 'InvalidSignatureException');
  assert.match(err.message, /^Signature not yet current: /);
});

// Starts `cognito-identity-local --port 0 ARGS` and resolves to { proc, url } once the URL
// line is out (bounded: 10 s).
function startEmulator(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(env.EMU_BIN, ['--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let errOut = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`no URL in 10 s: ${errOut}`)); }, 10000);
    proc.stderr.on('data', (b) => { errOut += b; });
    proc.stdout.on('data', (b) => {
      out += b;
      const nl = out.indexOf('\n');
      if (nl >= 0) { clearTimeout(timer); resolve({ proc, url: out.slice(0, nl) }); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${errOut}`)); });
  });
}
function stopEmulator(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) { resolve(proc.exitCode); return; }
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
    proc.removeAllListeners('exit');
    proc.on('exit', (code) => { clearTimeout(timer); resolve(code); });
    proc.kill('SIGTERM');
  });
}

test('--state: what a client wrote is there after a restart', async () => {
  assert.ok(env.EMU_BIN, 'EMU_BIN is set by test_sdk_js_v3.sh');
  const dir = mkdtempSync(join(tmpdir(), 'cr-conformance-state-'));
  const state = join(dir, 'state.json');
  let emu = await startEmulator(['--state', state, '--account-id', ACCOUNT]);
  try {
    let c = client(emu.url);
    const pool = await send(c, new CreateIdentityPoolCommand({ ...full, IdentityPoolName: 'Persisted' }));
    const id = pool.IdentityPoolId;
    const roles = {
      IdentityPoolId: id,
      Roles: { authenticated: ROLE_AUTH },
      RoleMappings: { [`${UP1}:${UP1_CLIENT}`]: { Type: 'Token', AmbiguousRoleResolution: 'Deny' } },
    };
    await send(c, new SetIdentityPoolRolesCommand(roles));
    const pt = { IdentityPoolId: id, IdentityProviderName: UP1, UseDefaults: false, PrincipalTags: { a: 'b' } };
    await send(c, new SetPrincipalTagAttributeMapCommand(pt));
    assert.equal(await stopEmulator(emu.proc), 0, 'clean stop');

    emu = await startEmulator(['--state', state, '--account-id', ACCOUNT]);
    c = client(emu.url);
    assert.deepEqual(await send(c, new DescribeIdentityPoolCommand({ IdentityPoolId: id })), pool);
    assert.deepEqual(await send(c, new GetIdentityPoolRolesCommand({ IdentityPoolId: id })), roles);
    assert.deepEqual(await send(c, new GetPrincipalTagAttributeMapCommand({
      IdentityPoolId: id, IdentityProviderName: UP1,
    })), pt);
    assert.deepEqual(await send(c, new ListTagsForResourceCommand({ ResourceArn: poolArn(id) })),
      { Tags: full.IdentityPoolTags });
    assert.deepEqual((await send(c, new ListIdentityPoolsCommand({ MaxResults: 60 }))).IdentityPools,
      [{ IdentityPoolId: id, IdentityPoolName: 'Persisted' }]);
  } finally {
    assert.equal(await stopEmulator(emu.proc), 0, 'clean stop');
    rmSync(dir, { recursive: true, force: true });
  }
});
