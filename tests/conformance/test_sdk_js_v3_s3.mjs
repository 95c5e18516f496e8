// SPDX-License-Identifier: Apache-2.0
// Conformance: the AWS SDK for JavaScript v3 (`@aws-sdk/client-s3`), unchanged, against the
// emulator's S3 subset, the way a lock file uses S3 (Terraform's S3 backend lock): take the
// lease with PutObject IfNoneMatch '*', renew it with IfMatch, release or force-unlock it
// with DeleteObject IfMatch, and race for it. Run by test_sdk_js_v3_s3.sh, which starts two
// emulators with the bucket EMU_BUCKET and sets EMU_URL (no signature check), EMU_URL_SIGNED
// (--credentials EMU_AKID/EMU_SECRET).
import test from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { failure, requireEnv } from './sdk_helpers.mjs';

const env = requireEnv('test_sdk_js_v3_s3.sh', [
  'EMU_URL', 'EMU_URL_SIGNED', 'EMU_AKID', 'EMU_SECRET', 'EMU_BUCKET',
]);
const Bucket = env.EMU_BUCKET;

function client(endpoint, opts = {}) {
  return new S3Client({
    endpoint,
    region: env.EMU_REGION || 'us-east-1',
    forcePathStyle: true, // http://127.0.0.1:PORT/BUCKET/KEY
    credentials: {
      accessKeyId: opts.accessKeyId || 'AKIDS3SDKV3ANYKEY001',
      secretAccessKey: opts.secretAccessKey || 'any',
    },
    maxAttempts: opts.maxAttempts || 1,
  });
}
const s3 = client(env.EMU_URL);

const etagOf = (text) => `"${createHash('md5').update(text).digest('hex')}"`;

function assertS3Error(err, name, status) {
  assert.equal(err.name, name, err.message);
  assert.equal(err.$metadata.httpStatusCode, status);
  assert.match(err.$metadata.requestId, /^[0-9A-F]{16}$/);
}

async function requests(url) {
  const res = await fetch(`${url}/_local/requests`);
  return (await res.json()).requests;
}

async function setFaults(url, faults) {
  const res = await fetch(`${url}/_local/faults`, { method: 'POST', body: JSON.stringify(faults) });
  assert.equal(res.status, 200, await res.text());
}

test('a lock lease: take, refuse a second holder, renew, release only with the own ETag', async () => {
  const Key = 'lifecycle/prod.tflock';
  const lease = JSON.stringify({ ID: 'run-1', Who: 'ci@runner-1' });
  const taken = await s3.send(new PutObjectCommand({
    Bucket, Key, Body: lease, IfNoneMatch: '*', ContentType: 'application/json',
    Metadata: { holder: 'run-1' },
  }));
  assert.equal(taken.$metadata.httpStatusCode, 200);
  assert.equal(taken.ETag, etagOf(lease));

  const second = await failure(s3, new PutObjectCommand({ Bucket, Key, Body: 'run-2', IfNoneMatch: '*' }));
  assertS3Error(second, 'PreconditionFailed', 412);
  assert.equal(second.Condition, 'If-None-Match');
  assert.equal(second.message, 'At least one of the pre-conditions you specified did not hold');

  const read = await s3.send(new GetObjectCommand({ Bucket, Key }));
  assert.equal(await read.Body.transformToString(), lease);
  assert.equal(read.ETag, taken.ETag);
  assert.equal(read.ContentType, 'application/json');
  assert.equal(read.ContentLength, Buffer.byteLength(lease));
  assert.deepEqual(read.Metadata, { holder: 'run-1' });
  assert.ok(read.LastModified instanceof Date);
  assert.ok(Math.abs(read.LastModified.getTime() - Date.now()) < 120e3);

  const renewed = await s3.send(new PutObjectCommand({ Bucket, Key, Body: `${lease} `, IfMatch: taken.ETag }));
  assert.notEqual(renewed.ETag, taken.ETag);
  const stale = await failure(s3, new PutObjectCommand({ Bucket, Key, Body: 'x', IfMatch: taken.ETag }));
  assertS3Error(stale, 'PreconditionFailed', 412);
  assert.equal(stale.Condition, 'If-Match');

  // A release (or force-unlock) with an old ETag must not delete the current lease.
  const wrongRelease = await failure(s3, new DeleteObjectCommand({ Bucket, Key, IfMatch: taken.ETag }));
  assertS3Error(wrongRelease, 'PreconditionFailed', 412);
  const head = await s3.send(new HeadObjectCommand({ Bucket, Key }));
  assert.equal(head.ETag, renewed.ETag);
  const released = await s3.send(new DeleteObjectCommand({ Bucket, Key, IfMatch: renewed.ETag }));
  assert.equal(released.$metadata.httpStatusCode, 204);
  assertS3Error(await failure(s3, new HeadObjectCommand({ Bucket, Key })), 'NotFound', 404);
  // free again: the next holder gets it
  await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'run-2', IfNoneMatch: '*' }));
});

test('errors carry S3 codes and the modelled classes', async () => {
  const missing = await failure(s3, new GetObjectCommand({ Bucket, Key: 'errors/missing' }));
  assert.ok(missing instanceof NoSuchKey);
  assertS3Error(missing, 'NoSuchKey', 404);
  assert.equal(missing.Key, 'errors/missing');
  const head = await failure(s3, new HeadObjectCommand({ Bucket, Key: 'errors/missing' }));
  assert.ok(head instanceof NotFound);
  const bucket = await failure(s3, new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' }));
  assert.ok(bucket instanceof NoSuchBucket);
  assertS3Error(bucket, 'NoSuchBucket', 404);
  // If-Match on a key that does not exist: NoSuchKey (what S3 answers)
  const ifMatch = await failure(s3, new PutObjectCommand({ Bucket, Key: 'errors/missing', Body: 'x', IfMatch: '"00"' }));
  assertS3Error(ifMatch, 'NoSuchKey', 404);
  const del = await failure(s3, new DeleteObjectCommand({ Bucket, Key: 'errors/missing', IfMatch: '"00"' }));
  assertS3Error(del, 'NoSuchKey', 404);
  // a plain delete of a missing key succeeds
  const plain = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'errors/missing' }));
  assert.equal(plain.$metadata.httpStatusCode, 204);
});

test('20 concurrent takes of one free lock: exactly one wins, the rest get 412', async () => {
  const Key = 'race/take.tflock';
  const before = (await requests(env.EMU_URL)).length;
  const clients = Array.from({ length: 20 }, () => client(env.EMU_URL));
  const results = await Promise.allSettled(clients.map((c, i) =>
    c.send(new PutObjectCommand({ Bucket, Key, Body: `holder-${i}`, IfNoneMatch: '*' }))));
  const won = results.map((r, i) => [r, i]).filter(([r]) => r.status === 'fulfilled');
  assert.equal(won.length, 1);
  for (const r of results.filter((x) => x.status === 'rejected')) assertS3Error(r.reason, 'PreconditionFailed', 412);
  const body = await (await s3.send(new GetObjectCommand({ Bucket, Key }))).Body.transformToString();
  assert.equal(body, `holder-${won[0][1]}`);
  const log = (await requests(env.EMU_URL)).slice(before).filter((e) => e.operation === 'PutObject');
  assert.deepEqual(log.map((e) => e.status).sort(), [200, ...Array(19).fill(412)]);
});

test('concurrent releases, renewals and a force-unlock with one ETag: exactly one acts', async () => {
  const Key = 'race/release.tflock';
  const { ETag } = await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'lease' }));
  const clients = Array.from({ length: 20 }, () => client(env.EMU_URL));
  const results = await Promise.allSettled(clients.map((c, i) => (i % 2
    ? c.send(new DeleteObjectCommand({ Bucket, Key, IfMatch: ETag }))
    : c.send(new PutObjectCommand({ Bucket, Key, Body: `renewed-${i}`, IfMatch: ETag })))));
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  for (const r of results.filter((x) => x.status === 'rejected')) {
    assert.ok(['PreconditionFailed', 'NoSuchKey'].includes(r.reason.name), r.reason.name);
  }
});

test('an injected 409 ConditionalRequestConflict reaches the client; 503 SlowDown is retried', async () => {
  const Key = 'faults/lock';
  await setFaults(env.EMU_URL, [{ operation: 'PutObject', error: 1, type: 'ConditionalRequestConflict', status: 409, count: 1 }]);
  const conflict = await failure(s3, new PutObjectCommand({ Bucket, Key, Body: 'x', IfNoneMatch: '*' }));
  assertS3Error(conflict, 'ConditionalRequestConflict', 409);
  // the write did not happen: the retry (what S3 advises) takes the lock
  const ok = await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'x', IfNoneMatch: '*' }));
  assert.equal(ok.ETag, etagOf('x'));

  await setFaults(env.EMU_URL, [{ operation: 'GetObject', throttle: 1, count: 1 }]);
  const retrying = client(env.EMU_URL, { maxAttempts: 3 });
  const got = await retrying.send(new GetObjectCommand({ Bucket, Key }));
  assert.equal(got.$metadata.attempts, 2);
  assert.equal(await got.Body.transformToString(), 'x');
  const log = await requests(env.EMU_URL);
  assert.deepEqual(log.slice(-2).map((e) => [e.operation, e.status, e.error || null]),
    [['GetObject', 503, 'SlowDown'], ['GetObject', 200, null]]);
});

test('signed requests (SigV4 for s3, verification on)', async () => {
  const signed = client(env.EMU_URL_SIGNED, { accessKeyId: env.EMU_AKID, secretAccessKey: env.EMU_SECRET });
  const Key = 'signed/dir with space/ü+~.tflock';
  const taken = await signed.send(new PutObjectCommand({ Bucket, Key, Body: 'lease', IfNoneMatch: '*' }));
  assertS3Error(await failure(signed, new PutObjectCommand({ Bucket, Key, Body: 'lease', IfNoneMatch: '*' })),
    'PreconditionFailed', 412);
  const read = await signed.send(new GetObjectCommand({ Bucket, Key }));
  assert.equal(await read.Body.transformToString(), 'lease');
  const released = await signed.send(new DeleteObjectCommand({ Bucket, Key, IfMatch: taken.ETag }));
  assert.equal(released.$metadata.httpStatusCode, 204);

  const wrong = client(env.EMU_URL_SIGNED, { accessKeyId: env.EMU_AKID, secretAccessKey: 'wrong' });
  assertS3Error(await failure(wrong, new GetObjectCommand({ Bucket, Key })), 'SignatureDoesNotMatch', 403);
  const unknown = client(env.EMU_URL_SIGNED, { accessKeyId: 'AKIDUNKNOWNKEY000001', secretAccessKey: 'x' });
  const err = await failure(unknown, new GetObjectCommand({ Bucket, Key }));
  assertS3Error(err, 'InvalidAccessKeyId', 403);
});
