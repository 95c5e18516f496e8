// SPDX-License-Identifier: Apache-2.0
// Conformance: the AWS SDK for JavaScript v3's fromCognitoIdentityPool credential provider
// (@aws-sdk/credential-providers), unchanged, obtains credentials from cognito-identity-local
// for an unauthenticated identity and for a signed-in one (a token minted by the emulator),
// and STSClient (@aws-sdk/client-sts) signs GetCallerIdentity with them against an emulator
// that verifies SigV4. Run by test_sdk_js_v3_identity.sh (EMU_URL_SIGNED, EMU_AKID, ...).
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  CognitoIdentityClient,
  CreateIdentityPoolCommand,
  SetIdentityPoolRolesCommand,
} from '@aws-sdk/client-cognito-identity';
import { fromCognitoIdentityPool } from '@aws-sdk/credential-providers';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

const env = process.env;
for (const name of ['EMU_URL_SIGNED', 'EMU_ACCOUNT', 'EMU_AKID', 'EMU_SECRET']) {
  if (!env[name]) throw new Error(`run through test_sdk_js_v3_identity.sh (${name} is not set)`);
}
const URL = env.EMU_URL_SIGNED;
const ACCOUNT = env.EMU_ACCOUNT;
const REGION = env.EMU_REGION || 'us-east-1';
const UP = 'cognito-idp.us-east-1.amazonaws.com/us-east-1_JsV3Pool';
const CLIENT = 'jsv3client';
const ROLE = (name) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const ID_RE = /^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const admin = new CognitoIdentityClient({
  endpoint: URL,
  region: REGION,
  credentials: { accessKeyId: env.EMU_AKID, secretAccessKey: env.EMU_SECRET },
  maxAttempts: 1,
});
// What the app gives the provider: where the service is, nothing else.
const clientConfig = { endpoint: URL, region: REGION, maxAttempts: 1 };

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
  const sts = new STSClient({ ...clientConfig, credentials });
  return sts.send(new GetCallerIdentityCommand({}));
}

let poolId;

test('set-up: a pool with a guest role and a rules mapping', async () => {
  const pool = await admin.send(new CreateIdentityPoolCommand({
    IdentityPoolName: 'JsV3 Identity',
    AllowUnauthenticatedIdentities: true,
    CognitoIdentityProviders: [{ ProviderName: UP, ClientId: CLIENT }],
  }));
  poolId = pool.IdentityPoolId;
  await admin.send(new SetIdentityPoolRolesCommand({
    IdentityPoolId: poolId,
    Roles: { authenticated: ROLE('JsV3Auth'), unauthenticated: ROLE('JsV3Guest') },
    RoleMappings: {
      [`${UP}:${CLIENT}`]: {
        Type: 'Rules',
        AmbiguousRoleResolution: 'Deny',
        RulesConfiguration: {
          Rules: [{ Claim: 'custom:tier', MatchType: 'Equals', Value: 'paid', RoleARN: ROLE('JsV3Paid') }],
        },
      },
    },
  }));
});

test('fromCognitoIdentityPool: an unauthenticated identity gets the guest role', async () => {
  const provider = fromCognitoIdentityPool({ identityPoolId: poolId, clientConfig });
  const creds = await provider();
  assert.match(creds.identityId, ID_RE);
  assert.match(creds.accessKeyId, /^ASIA[A-Z0-9]{16}$/);
  assert.ok(creds.expiration instanceof Date && creds.expiration > new Date());
  const me = await callerOf(provider);
  assert.equal(me.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/JsV3Guest/CognitoIdentityCredentials`);
  assert.equal(me.Account, ACCOUNT);
});

test('fromCognitoIdentityPool: a signed-in user gets the role of the matching rule', async () => {
  const token = await mint({ sub: 'jsv3-user', aud: CLIENT, 'custom:tier': 'paid' });
  const provider = fromCognitoIdentityPool({ identityPoolId: poolId, logins: { [UP]: token }, clientConfig });
  const creds = await provider();
  const me = await callerOf(provider);
  assert.equal(me.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/JsV3Paid/CognitoIdentityCredentials`);
  const again = await fromCognitoIdentityPool({ identityPoolId: poolId, logins: { [UP]: token }, clientConfig })();
  assert.equal(again.identityId, creds.identityId);
  // CustomRoleArn is passed through: a role no matching rule holds is refused
  const custom = fromCognitoIdentityPool({
    identityPoolId: poolId, logins: { [UP]: token }, customRoleArn: ROLE('JsV3Admin'), clientConfig,
  });
  await assert.rejects(custom(), (err) => {
    assert.equal(err.name, 'NotAuthorizedException');
    return true;
  });
});

test('fromCognitoIdentityPool: a user no rule matches is denied', async () => {
  const token = await mint({ sub: 'jsv3-gold', aud: CLIENT, 'custom:tier': 'gold' });
  const provider = fromCognitoIdentityPool({ identityPoolId: poolId, logins: { [UP]: token }, clientConfig });
  await assert.rejects(provider(), (err) => {
    assert.equal(err.name, 'NotAuthorizedException');
    assert.equal(err.message, 'The ambiguous role mapping rules denied this request.');
    return true;
  });
});
