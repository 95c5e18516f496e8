// SPDX-License-Identifier: Apache-2.0
// Conformance: the AWS SDK for JavaScript v2's own AWS.CognitoIdentityCredentials provider,
// unchanged, obtains credentials from cognito-identity-local (GetId, then
// GetCredentialsForIdentity; with RoleArn the basic flow GetId, GetOpenIdToken, STS
// AssumeRoleWithWebIdentity) for an unauthenticated identity and for a signed-in one (a token
// minted by the emulator), and AWS.STS signs GetCallerIdentity with them against an emulator
// that verifies SigV4. Run by test_sdk_js_v2_identity.sh (EMU_URL_SIGNED, EMU_AKID, ...).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const AWS = require('aws-sdk');

const env = process.env;
for (const name of ['EMU_URL_SIGNED', 'EMU_ACCOUNT', 'EMU_AKID', 'EMU_SECRET']) {
  if (!env[name]) throw new Error(`run through test_sdk_js_v2_identity.sh (${name} is not set)`);
}
const URL = env.EMU_URL_SIGNED;
const ACCOUNT = env.EMU_ACCOUNT;
const REGION = env.EMU_REGION || 'us-east-1';
const UP = 'cognito-idp.us-east-1.amazonaws.com/us-east-1_JsV2Pool';
const CLIENT = 'jsv2client';
const ROLE = (name) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const ID_RE = /^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// The developer's own client (signed with the emulator's key) sets the pool up.
const admin = new AWS.CognitoIdentity({
  endpoint: URL,
  region: REGION,
  credentials: new AWS.Credentials({ accessKeyId: env.EMU_AKID, secretAccessKey: env.EMU_SECRET }),
  maxRetries: 0,
});
// What the app passes to the provider: where the service is, nothing else.
const clientConfig = { endpoint: URL, region: REGION, maxRetries: 0 };

async function mint(claims) {
  const res = await fetch(`${URL}/_local/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ issuer: `https://${UP}`, claims }),
  });
  assert.equal(res.status, 200);
  return (await res.json()).token;
}

async function callerOf(credentials) {
  const sts = new AWS.STS({ ...clientConfig, credentials });
  return sts.getCallerIdentity().promise();
}

let poolId;

test('set-up: a pool with a guest role and a rules mapping', async () => {
  const pool = await admin.createIdentityPool({
    IdentityPoolName: 'JsV2 Identity',
    AllowUnauthenticatedIdentities: true,
    CognitoIdentityProviders: [{ ProviderName: UP, ClientId: CLIENT }],
  }).promise();
  poolId = pool.IdentityPoolId;
  await admin.setIdentityPoolRoles({
    IdentityPoolId: poolId,
    Roles: { authenticated: ROLE('JsV2Auth'), unauthenticated: ROLE('JsV2Guest') },
    RoleMappings: {
      [`${UP}:${CLIENT}`]: {
        Type: 'Rules',
        AmbiguousRoleResolution: 'Deny',
        RulesConfiguration: {
          Rules: [{ Claim: 'custom:tier', MatchType: 'Equals', Value: 'paid', RoleARN: ROLE('JsV2Paid') }],
        },
      },
    },
  }).promise();
});

test('CognitoIdentityCredentials: an unauthenticated identity gets the guest role', async () => {
  const creds = new AWS.CognitoIdentityCredentials({ IdentityPoolId: poolId }, clientConfig);
  await creds.getPromise();
  assert.match(creds.identityId, ID_RE);
  assert.match(creds.accessKeyId, /^ASIA[A-Z0-9]{16}$/);
  assert.ok(creds.sessionToken.length > 100);
  assert.ok(creds.expireTime instanceof Date && creds.expireTime > new Date());
  const me = await callerOf(creds);
  assert.equal(me.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/JsV2Guest/CognitoIdentityCredentials`);
  assert.equal(me.Account, ACCOUNT);
  // a refresh keeps the identity (the provider caches the IdentityId)
  const first = creds.identityId;
  await creds.refreshPromise();
  assert.equal(creds.identityId, first);
});

test('CognitoIdentityCredentials: a signed-in user gets the role of the matching rule', async () => {
  const token = await mint({ sub: 'jsv2-user', aud: CLIENT, 'custom:tier': 'paid' });
  const creds = new AWS.CognitoIdentityCredentials(
    { IdentityPoolId: poolId, Logins: { [UP]: token } }, clientConfig);
  await creds.getPromise();
  const me = await callerOf(creds);
  assert.equal(me.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/JsV2Paid/CognitoIdentityCredentials`);
  // the same login again: the same identity
  const again = new AWS.CognitoIdentityCredentials(
    { IdentityPoolId: poolId, Logins: { [UP]: token } }, clientConfig);
  await again.getPromise();
  assert.equal(again.identityId, creds.identityId);
});

test('CognitoIdentityCredentials: a user no rule matches is denied', async () => {
  const token = await mint({ sub: 'jsv2-gold', aud: CLIENT, 'custom:tier': 'gold' });
  const creds = new AWS.CognitoIdentityCredentials(
    { IdentityPoolId: poolId, Logins: { [UP]: token } }, clientConfig);
  await assert.rejects(creds.getPromise(), (err) => {
    assert.equal(err.code, 'NotAuthorizedException');
    assert.equal(err.message, 'The ambiguous role mapping rules denied this request.');
    return true;
  });
});

test('CognitoIdentityCredentials with RoleArn: the basic (classic) flow through STS', async () => {
  const creds = new AWS.CognitoIdentityCredentials(
    { IdentityPoolId: poolId, RoleArn: ROLE('JsV2Classic') }, clientConfig);
  await creds.getPromise();
  const me = await callerOf(creds);
  assert.equal(me.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/JsV2Classic/web-identity`);
});
