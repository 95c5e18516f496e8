// SPDX-License-Identifier: Apache-2.0
// Conformance: the AWS SDK for JavaScript v2 (`aws-sdk`), unchanged, against
// cognito-identity-local. Run by test_sdk_js_v2.sh, which starts two emulators and sets
// EMU_URL (no signature check), EMU_URL_SIGNED (--credentials EMU_AKID/EMU_SECRET),
// EMU_ACCOUNT and EMU_REGION. Calls are written as the SDK's API reference shows them.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const AWS = require('aws-sdk');

const URL_OPEN = process.env.EMU_URL;
const URL_SIGNED = process.env.EMU_URL_SIGNED;
const ACCOUNT = process.env.EMU_ACCOUNT;
const REGION = process.env.EMU_REGION || 'us-east-1';
const AKID = process.env.EMU_AKID;
const SECRET = process.env.EMU_SECRET;
if (!URL_OPEN || !URL_SIGNED || !ACCOUNT || !AKID || !SECRET) {
  throw new Error('run through test_sdk_js_v2.sh (EMU_URL, EMU_URL_SIGNED, EMU_ACCOUNT, ' +
                  'EMU_AKID, EMU_SECRET are not set)');
}

const UP1 = 'cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab12Cd34';
const UP1_CLIENT = '6lhlkkfbfb4q5kpp90urffae';
const ROLE_AUTH = `arn:aws:iam::${ACCOUNT}:role/SdkV2Auth`;
const ROLE_GUEST = `arn:aws:iam::${ACCOUNT}:role/SdkV2Guest`;
const ROLE_PAID = `arn:aws:iam::${ACCOUNT}:role/SdkV2Paid`;
const NO_SUCH_POOL = 'us-east-1:00000000-0000-0000-0000-000000000000';
const ID_RE = /^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function client(endpoint, accessKeyId = 'AKIDSDKV2ANYKEY00001', secretAccessKey = 'any') {
  return new AWS.CognitoIdentity({
    endpoint,
    region: REGION,
    credentials: new AWS.Credentials({ accessKeyId, secretAccessKey }),
    maxRetries: 0,
  });
}

const cognito = client(URL_OPEN);

// Resolves to the error the call failed with; fails the test when it succeeded.
async function failure(request) {
  try {
    const data = await request.promise();
    assert.fail(`expected an error, got ${JSON.stringify(data)}`);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    return err;
  }
}

function poolArn(id) {
  return `arn:aws:cognito-identity:${REGION}:${ACCOUNT}:identitypool/${id}`;
}

const full = {
  IdentityPoolName: 'SdkV2 Full',
  AllowUnauthenticatedIdentities: true,
  AllowClassicFlow: false,
  SupportedLoginProviders: { 'graph.facebook.com': '7346241598935552', 'www.amazon.com': 'amzn1.application.1' },
  DeveloperProviderName: 'login.example.sdkv2',
  OpenIdConnectProviderARNs: [`arn:aws:iam::${ACCOUNT}:oidc-provider/auth.example.com`],
  CognitoIdentityProviders: [
    { ProviderName: UP1, ClientId: UP1_CLIENT, ServerSideTokenCheck: true },
  ],
  SamlProviderARNs: [`arn:aws:iam::${ACCOUNT}:saml-provider/ExampleIdP`],
  IdentityPoolTags: { team: 'sdk', env: 'test' },
};
let fullId;
let minimalId;

test('createIdentityPool with every member returns it as sent', async () => {
  const pool = await cognito.createIdentityPool(full).promise();
  assert.match(pool.IdentityPoolId, ID_RE);
  fullId = pool.IdentityPoolId;
  assert.deepEqual(pool, { IdentityPoolId: fullId, ...full });
});

test('describeIdentityPool returns the same pool', async () => {
  const pool = await cognito.describeIdentityPool({ IdentityPoolId: fullId }).promise();
  assert.deepEqual(pool, { IdentityPoolId: fullId, ...full });
});

test('a minimal pool has only the members that are set, and IdentityPoolTags {}', async () => {
  const created = await cognito.createIdentityPool({
    IdentityPoolName: 'SdkV2 Minimal', AllowUnauthenticatedIdentities: false,
  }).promise();
  minimalId = created.IdentityPoolId;
  const want = {
    IdentityPoolId: minimalId, IdentityPoolName: 'SdkV2 Minimal',
    AllowUnauthenticatedIdentities: false, IdentityPoolTags: {},
  };
  assert.deepEqual(created, want);
  assert.deepEqual(await cognito.describeIdentityPool({ IdentityPoolId: minimalId }).promise(), want);
});

test('updateIdentityPool renames in place and clears omitted lists', async () => {
  const updated = await cognito.updateIdentityPool({
    IdentityPoolId: fullId,
    IdentityPoolName: 'SdkV2 Renamed',
    AllowUnauthenticatedIdentities: false,
    DeveloperProviderName: 'login.example.sdkv2',
    SupportedLoginProviders: { 'graph.facebook.com': '7346241598935552' },
  }).promise();
  const { IdentityPoolTags, ...rest } = updated;
  assert.equal(typeof IdentityPoolTags, 'object');
  assert.deepEqual(rest, {
    IdentityPoolId: fullId,
    IdentityPoolName: 'SdkV2 Renamed',
    AllowUnauthenticatedIdentities: false,
    // Once set, AllowClassicFlow is always returned; omitted in Update it is back to false.
    AllowClassicFlow: false,
    DeveloperProviderName: 'login.example.sdkv2',
    SupportedLoginProviders: { 'graph.facebook.com': '7346241598935552' },
  });
  const described = await cognito.describeIdentityPool({ IdentityPoolId: fullId }).promise();
  delete described.IdentityPoolTags;
  assert.deepEqual(described, rest);
});

test('setIdentityPoolRoles / getIdentityPoolRoles with Rules and Token mappings', async () => {
  await cognito.updateIdentityPool({
    IdentityPoolId: fullId,
    IdentityPoolName: 'SdkV2 Renamed',
    AllowUnauthenticatedIdentities: false,
    DeveloperProviderName: 'login.example.sdkv2',
    SupportedLoginProviders: { 'graph.facebook.com': '7346241598935552' },
    CognitoIdentityProviders: [{ ProviderName: UP1, ClientId: UP1_CLIENT, ServerSideTokenCheck: false }],
  }).promise();
  const params = {
    IdentityPoolId: fullId,
    Roles: { authenticated: ROLE_AUTH, unauthenticated: ROLE_GUEST },
    RoleMappings: {
      [`${UP1}:${UP1_CLIENT}`]: {
        Type: 'Rules',
        AmbiguousRoleResolution: 'AuthenticatedRole',
        RulesConfiguration: {
          Rules: [
            { Claim: 'custom:tier', MatchType: 'Equals', Value: 'paid', RoleARN: ROLE_PAID },
            { Claim: 'email', MatchType: 'StartsWith', Value: 'admin', RoleARN: ROLE_AUTH },
            { Claim: 'cognito:groups', MatchType: 'NotEqual', Value: 'none', RoleARN: ROLE_GUEST },
          ],
        },
      },
      'graph.facebook.com': { Type: 'Token', AmbiguousRoleResolution: 'Deny' },
    },
  };
  const set = await cognito.setIdentityPoolRoles(params).promise();
  assert.deepEqual(set, {});
  assert.deepEqual(await cognito.getIdentityPoolRoles({ IdentityPoolId: fullId }).promise(), params);
});

test('setIdentityPoolRoles refuses a mapping for a provider the pool does not have', async () => {
  const err = await failure(cognito.setIdentityPoolRoles({
    IdentityPoolId: fullId,
    Roles: {},
    RoleMappings: { 'accounts.google.com': { Type: 'Token', AmbiguousRoleResolution: 'Deny' } },
  }));
  assert.equal(err.code, 'InvalidParameterException');
  assert.equal(err.statusCode, 400);
  assert.equal(err.message,
    '(accounts.google.com) is not a valid RoleMapping ProviderName or is not a configured provider.');
});

test('setIdentityPoolRoles with Roles {} clears roles and mappings', async () => {
  await cognito.setIdentityPoolRoles({ IdentityPoolId: fullId, Roles: {} }).promise();
  const got = await cognito.getIdentityPoolRoles({ IdentityPoolId: fullId }).promise();
  assert.equal(got.IdentityPoolId, fullId);
  assert.deepEqual(got.Roles || {}, {});
  assert.equal(got.RoleMappings, undefined);
});

test('setPrincipalTagAttributeMap / getPrincipalTagAttributeMap', async () => {
  const params = {
    IdentityPoolId: fullId,
    IdentityProviderName: UP1,
    UseDefaults: false,
    PrincipalTags: { department: 'custom:department', cost: 'custom:cost' },
  };
  assert.deepEqual(await cognito.setPrincipalTagAttributeMap(params).promise(), params);
  assert.deepEqual(await cognito.getPrincipalTagAttributeMap({
    IdentityPoolId: fullId, IdentityProviderName: UP1,
  }).promise(), params);
});

test('tagResource / untagResource / listTagsForResource', async () => {
  const ResourceArn = poolArn(minimalId);
  assert.deepEqual((await cognito.listTagsForResource({ ResourceArn }).promise()).Tags || {}, {});
  assert.deepEqual(await cognito.tagResource({ ResourceArn, Tags: { a: '1', b: '2', c: '' } }).promise(), {});
  assert.deepEqual(await cognito.untagResource({ ResourceArn, TagKeys: ['b'] }).promise(), {});
  assert.deepEqual(await cognito.listTagsForResource({ ResourceArn }).promise(), { Tags: { a: '1', c: '' } });
  const pool = await cognito.describeIdentityPool({ IdentityPoolId: minimalId }).promise();
  assert.deepEqual(pool.IdentityPoolTags, { a: '1', c: '' });
});

test('listIdentityPools pages with eachPage and with NextToken', async () => {
  const created = [];
  for (let batch = 0; batch < 7; batch++) {
    const calls = [];
    for (let i = 0; i < 10; i++) {
      calls.push(cognito.createIdentityPool({
        IdentityPoolName: `sdkv2 page ${batch * 10 + i}`, AllowUnauthenticatedIdentities: false,
      }).promise());
    }
    created.push(...(await Promise.all(calls)).map((p) => p.IdentityPoolId));
  }
  const want = [...created, fullId, minimalId].sort();

  const pages = [];
  await new Promise((resolve, reject) => {
    cognito.listIdentityPools({ MaxResults: 25 }).eachPage((err, data) => {
      if (err) { reject(err); return false; }
      if (data === null) { resolve(); return false; }
      pages.push(data.IdentityPools);
      return true;
    });
  });
  assert.deepEqual(pages.map((p) => p.length), [25, 25, 22]);
  const ids = pages.flat().map((p) => p.IdentityPoolId);
  assert.deepEqual([...ids].sort(), want, 'every pool exactly once');
  for (const p of pages.flat()) assert.deepEqual(Object.keys(p).sort(), ['IdentityPoolId', 'IdentityPoolName']);

  const manual = [];
  let NextToken;
  for (let i = 0; i < 20; i++) {
    const page = await cognito.listIdentityPools({ MaxResults: 60, NextToken }).promise();
    manual.push(...page.IdentityPools.map((p) => p.IdentityPoolId));
    NextToken = page.NextToken;
    if (!NextToken) break;
  }
  assert.equal(NextToken, undefined, 'the last page has no NextToken');
  assert.deepEqual(manual.sort(), want);
});

// The emulator's control endpoints (docs/emulator.md): fault rules and the request log.
async function setFaults(rules) {
  const res = await fetch(`${URL_OPEN}/_local/faults`, { method: 'POST', body: JSON.stringify(rules) });
  assert.equal(res.status, 200, await res.text());
}
async function loggedSince(seq) {
  const res = await fetch(`${URL_OPEN}/_local/requests?since=${seq}`);
  const log = await res.json();
  return { last: log.last_seq, calls: log.requests.filter((r) => r.seq > seq) };
}

test('throttling and InternalErrorException are retried by the SDK (fault injection)', async () => {
  const retrying = new AWS.CognitoIdentity({
    endpoint: URL_OPEN,
    region: REGION,
    credentials: new AWS.Credentials({ accessKeyId: 'AKIDSDKV2ANYKEY00001', secretAccessKey: 'any' }),
    maxRetries: 3,
    retryDelayOptions: { base: 5 },
  });
  const start = (await loggedSince(0)).last;
  await setFaults([{ operation: 'DescribeIdentityPool', throttle: 1, count: 2 }]);
  const pool = await retrying.describeIdentityPool({ IdentityPoolId: fullId }).promise();
  assert.equal(pool.IdentityPoolId, fullId);
  let log = await loggedSince(start);
  assert.deepEqual(log.calls.map((c) => [c.operation, c.status]), [
    ['DescribeIdentityPool', 400], ['DescribeIdentityPool', 400], ['DescribeIdentityPool', 200],
  ], 'two TooManyRequestsException answers, then the call went through');

  await setFaults([{ operation: 'ListIdentityPools', error: 1 }]);
  const err = await failure(retrying.listIdentityPools({ MaxResults: 1 }));
  await setFaults([]);
  assert.equal(err.code, 'InternalErrorException');
  assert.equal(err.statusCode, 500);
  assert.equal(err.retryable, true);
  log = await loggedSince(log.last);
  assert.equal(log.calls.filter((c) => c.operation === 'ListIdentityPools').length, 4,
    '1 call + maxRetries 3');

  const noFaults = await cognito.listIdentityPools({ MaxResults: 1 }).promise();
  assert.equal(noFaults.IdentityPools.length, 1, 'faults cleared');
});

test('listIdentityPools with MaxResults 61 is a ValidationException', async () => {
  const err = await failure(cognito.listIdentityPools({ MaxResults: 61 }));
  assert.equal(err.code, 'ValidationException');
  assert.equal(err.statusCode, 400);
  assert.match(err.message, /^1 validation error detected: Value '61' at 'maxResults' failed to satisfy constraint/);
});

test('a bad pool name is a ValidationException from the service', async () => {
  const err = await failure(cognito.createIdentityPool({
    IdentityPoolName: 'bad/name!', AllowUnauthenticatedIdentities: false,
  }));
  assert.equal(err.code, 'ValidationException');
  assert.equal(err.statusCode, 400);
  assert.equal(err.message, "1 validation error detected: Value 'bad/name!' at 'identityPoolName' " +
    'failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+');
});

test('deleteIdentityPool, then ResourceNotFoundException everywhere', async () => {
  assert.deepEqual(await cognito.deleteIdentityPool({ IdentityPoolId: minimalId }).promise(), {});
  const calls = [
    cognito.describeIdentityPool({ IdentityPoolId: minimalId }),
    cognito.deleteIdentityPool({ IdentityPoolId: minimalId }),
    cognito.getIdentityPoolRoles({ IdentityPoolId: minimalId }),
    cognito.updateIdentityPool({
      IdentityPoolId: minimalId, IdentityPoolName: 'x', AllowUnauthenticatedIdentities: false,
    }),
  ];
  for (const call of calls) {
    const err = await failure(call);
    assert.equal(err.code, 'ResourceNotFoundException', call.operation);
    assert.equal(err.statusCode, 400, call.operation);
    assert.equal(err.message, `IdentityPool '${minimalId}' not found.`, call.operation);
    assert.equal(err.retryable, false, call.operation);
  }
  const err = await failure(cognito.listTagsForResource({ ResourceArn: poolArn(minimalId) }));
  assert.equal(err.code, 'ResourceNotFoundException');
});

test('signature verification: the right secret works', async () => {
  const signed = client(URL_SIGNED, AKID, SECRET);
  const pool = await signed.createIdentityPool({
    IdentityPoolName: 'SdkV2 Signed', AllowUnauthenticatedIdentities: true,
    IdentityPoolTags: { 'unicode-väl': 'ünïcödé ✓', path: 'a/b=c&d' },
  }).promise();
  assert.match(pool.IdentityPoolId, ID_RE);
  const listed = await signed.listIdentityPools({ MaxResults: 10 }).promise();
  assert.deepEqual(listed.IdentityPools.map((p) => p.IdentityPoolId), [pool.IdentityPoolId]);
  const described = await signed.describeIdentityPool({ IdentityPoolId: pool.IdentityPoolId }).promise();
  assert.deepEqual(described.IdentityPoolTags, { 'unicode-väl': 'ünïcödé ✓', path: 'a/b=c&d' });
});

test('signature verification: a wrong secret is InvalidSignatureException', async () => {
  const wrong = client(URL_SIGNED, AKID, `${SECRET}x`);
  const err = await failure(wrong.listIdentityPools({ MaxResults: 10 }));
  assert.equal(err.code, 'InvalidSignatureException');
  assert.ok(err.statusCode === 400 || err.statusCode === 403, `status ${err.statusCode}`);
});

test('signature verification: an unknown key is UnrecognizedClientException', async () => {
  const unknown = client(URL_SIGNED, 'AKIDNOTCONFIGURED001', SECRET);
  const err = await failure(unknown.listIdentityPools({ MaxResults: 10 }));
  assert.equal(err.code, 'UnrecognizedClientException');
  assert.ok(err.statusCode === 400 || err.statusCode === 403, `status ${err.statusCode}`);
});

test('STS on the same port: AssumeRoleWithWebIdentity credentials sign cognito calls', async () => {
  // With --credentials the emulator verifies web identity tokens (issue 9.5): this one is
  // signed by its own test identity provider (POST /_local/token).
  const claims = { sub: 'repo:example/app:ref:refs/heads/main', aud: 'sts.amazonaws.com' };
  const minted = await fetch(`${URL_SIGNED}/_local/token`, {
    method: 'POST',
    body: JSON.stringify({ issuer: 'https://token.actions.githubusercontent.com', claims }),
  });
  const { token } = await minted.json();
  const sts = new AWS.STS({ endpoint: URL_SIGNED, region: REGION, maxRetries: 0 });
  // the same claims unsigned: refused, and the message does not repeat the token
  const forged = `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
  const refused = await failure(sts.assumeRoleWithWebIdentity({
    RoleArn: 'arn:aws:iam::777788889999:role/SdkV2Deploy', RoleSessionName: 'sdk-v2',
    WebIdentityToken: forged,
  }));
  assert.equal(refused.code, 'InvalidIdentityToken');
  assert.equal(refused.statusCode, 400);
  assert.ok(!refused.message.includes(forged.split('.')[1]), refused.message);
  // Unsigned (no credentials needed), parsed from STS's XML by the SDK.
  const asked = Math.floor(Date.now() / 1000) * 1000; // STS times have whole seconds
  const assumed = await sts.assumeRoleWithWebIdentity({
    RoleArn: 'arn:aws:iam::777788889999:role/SdkV2Deploy',
    RoleSessionName: 'sdk-v2',
    WebIdentityToken: token,
  }).promise();
  assert.match(assumed.Credentials.AccessKeyId, /^ASIA/);
  assert.ok(assumed.Credentials.Expiration instanceof Date);
  // the default hour, counted from the moment of the call
  const expires = assumed.Credentials.Expiration.getTime();
  assert.ok(expires >= asked + 3600e3 && expires <= Date.now() + 3600e3, `Expiration ${expires}`);
  assert.equal(assumed.AssumedRoleUser.Arn, 'arn:aws:sts::777788889999:assumed-role/SdkV2Deploy/sdk-v2');
  assert.equal(assumed.SubjectFromWebIdentityToken, 'repo:example/app:ref:refs/heads/main');

  const credentials = new AWS.Credentials({
    accessKeyId: assumed.Credentials.AccessKeyId,
    secretAccessKey: assumed.Credentials.SecretAccessKey,
    sessionToken: assumed.Credentials.SessionToken,
  });
  const who = await new AWS.STS({ endpoint: URL_SIGNED, region: REGION, credentials, maxRetries: 0 })
    .getCallerIdentity({}).promise();
  assert.equal(who.Account, '777788889999');
  assert.equal(who.Arn, 'arn:aws:sts::777788889999:assumed-role/SdkV2Deploy/sdk-v2');

  const asRole = new AWS.CognitoIdentity({ endpoint: URL_SIGNED, region: REGION, credentials, maxRetries: 0 });
  const pool = await asRole.createIdentityPool({
    IdentityPoolName: 'SdkV2 Role Pool', AllowUnauthenticatedIdentities: false,
  }).promise();
  const tags = await asRole.listTagsForResource({
    ResourceArn: `arn:aws:cognito-identity:${REGION}:777788889999:identitypool/${pool.IdentityPoolId}`,
  }).promise();
  assert.deepEqual(tags, { Tags: {} });

  const noToken = client(URL_SIGNED, assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey);
  const err = await failure(noToken.listIdentityPools({ MaxResults: 1 }));
  assert.equal(err.code, 'UnrecognizedClientException');

  const wrongSts = new AWS.STS({
    endpoint: URL_SIGNED, region: REGION, maxRetries: 0,
    credentials: new AWS.Credentials({ accessKeyId: AKID, secretAccessKey: `${SECRET}x` }),
  });
  const stsErr = await failure(wrongSts.getCallerIdentity({}));
  assert.equal(stsErr.code, 'SignatureDoesNotMatch');
  assert.equal(stsErr.statusCode, 403);
});

test('correctClockSkew: a client 15 minutes slow corrects itself from the Date header', async () => {
  const skewed = new AWS.CognitoIdentity({
    endpoint: URL_SIGNED, region: REGION, maxRetries: 1, correctClockSkew: true,
    systemClockOffset: -15 * 60e3,
    credentials: new AWS.Credentials({ accessKeyId: AKID, secretAccessKey: SECRET }),
  });
  const page = await skewed.listIdentityPools({ MaxResults: 5 }).promise();
  assert.ok(Array.isArray(page.IdentityPools));
  assert.ok(Math.abs(skewed.config.systemClockOffset) < 60e3, `offset ${skewed.config.systemClockOffset}`);

  const strict = new AWS.CognitoIdentity({
    endpoint: URL_SIGNED, region: REGION, maxRetries: 0, systemClockOffset: -15 * 60e3,
    credentials: new AWS.Credentials({ accessKeyId: AKID, secretAccessKey: SECRET }),
  });
  const err = await failure(strict.listIdentityPools({ MaxResults: 5 }));
  assert.equal(err.code, 'InvalidSignatureException');
  assert.match(err.message, /^Signature expired: /);
});
