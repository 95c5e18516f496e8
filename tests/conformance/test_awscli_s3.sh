#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Conformance: the emulator's S3 subset (a lock file's PutObject, GetObject, HeadObject,
# DeleteObject, path-style) with Debian's AWS CLI v2 (/usr/bin/aws s3api), unsigned and with
# SigV4 verification on. CLI 2.9 has no --if-none-match for put-object and no --if-match for
# delete-object (they arrived in 2024): the conditional writes are proven with the SDK
# (test_sdk_js_v3_s3.mjs) and here with curl; the CLI's own conditional reads (--if-match,
# --if-none-match, --if-modified-since on get/head-object) are tested here.
. "$(dirname "$0")/lib.sh"

BUCKET=tf-locks
AKID=AKIDCONFORMANCES3001
SECRET='s3/Conformance+Secret0123456789abcdef'
KEY=env/prod.tflock
ODD_KEY='dir/a b+c~!é(1)&=?.tflock'

[ -x "$AWS_BIN" ] || die "$AWS_BIN not found (Debian package awscli; scripts/deps.sh installs it)"
conf_clean_aws_env
emu_start --s3-bucket "$BUCKET"
OPEN_URL=$EMU_URL
emu_write_credentials "$TMP/emu-credentials" "$AKID" "$SECRET"
emu_start --s3-bucket "$BUCKET" --credentials "$TMP/emu-credentials"
SIGNED_URL=$EMU_URL
EMU_URL=$OPEN_URL

printf '{"ID":"c0ffee","Operation":"apply","Who":"ci@runner-1"}\n' >"$TMP/lock.json"
printf 'odd key body' >"$TMP/odd.txt"
LOCK_MD5=$(md5sum "$TMP/lock.json" | cut -d' ' -f1)
LOCK_ETAG=\"$LOCK_MD5\"
LOCK_SIZE=$(wc -c <"$TMP/lock.json")

# ---------------------------------------------------------------- batch 1: writes and misses
aws_bg put "s3api put-object (a lock file)" s3api put-object --bucket "$BUCKET" --key "$KEY" \
  --body "$TMP/lock.json" --content-type application/json --metadata holder=ci-1,run=42
aws_bg putodd "s3api put-object (a key with spaces, +, ~, !, é, &, =, ?)" s3api put-object \
  --bucket "$BUCKET" --key "$ODD_KEY" --body "$TMP/odd.txt"
aws_bg nobucket "s3api put-object (a bucket that does not exist)" s3api put-object \
  --bucket no-such-bucket --key "$KEY" --body "$TMP/lock.json"
aws_bg nokey "s3api get-object (a missing key)" s3api get-object --bucket "$BUCKET" \
  --key missing.tflock "$TMP/missing.out"
aws_bg headmiss "s3api head-object (a missing key)" s3api head-object --bucket "$BUCKET" \
  --key missing.tflock
aws_wait put
expect_rc 0
expect_json d "{\"ETag\":\"\\\"$LOCK_MD5\\\"\",\"ServerSideEncryption\":\"AES256\"}" \
  "the ETag is the quoted MD5 of the body"
aws_wait putodd
expect_rc 0
aws_wait nobucket
expect_rc 254
expect_stderr "An error occurred (NoSuchBucket) when calling the PutObject operation: The specified bucket does not exist"
aws_wait nokey
expect_rc 254
expect_stderr "An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist."
aws_wait headmiss
expect_rc 254
expect_stderr "An error occurred (404) when calling the HeadObject operation: Not Found"

# ---------------------------------------------------------------- batch 2: reads, conditions
aws_bg get "s3api get-object (the lock file)" s3api get-object --bucket "$BUCKET" --key "$KEY" \
  "$TMP/lock.out"
aws_bg headodd "s3api head-object (the odd key)" s3api head-object --bucket "$BUCKET" \
  --key "$ODD_KEY"
aws_bg headmatch "s3api head-object --if-match (another ETag)" s3api head-object \
  --bucket "$BUCKET" --key "$KEY" --if-match '"0123456789abcdef0123456789abcdef"'
aws_bg notmod "s3api get-object --if-none-match (the current ETag)" s3api get-object \
  --bucket "$BUCKET" --key "$KEY" --if-none-match "$LOCK_ETAG" "$TMP/notmod.out"
aws_bg since "s3api get-object --if-modified-since (long ago)" s3api get-object \
  --bucket "$BUCKET" --key "$KEY" --if-modified-since 2015-01-01T00:00:00Z "$TMP/since.out"
aws_wait get
expect_rc 0
expect_true "d.ETag === '\"$LOCK_MD5\"' && d.ContentLength === $LOCK_SIZE" \
  "ETag and ContentLength"
expect_json 'd.ContentType' '"application/json"'
expect_json 'd.Metadata' '{"holder":"ci-1","run":"42"}'
expect_true 'Math.abs(Date.parse(d.LastModified) - Date.now()) < 120e3' "LastModified is now"
run "the downloaded lock file is the uploaded one" cmp "$TMP/lock.json" "$TMP/lock.out"
expect_rc 0
aws_wait headodd
expect_rc 0
expect_json 'd.ContentLength' '12'
expect_json 'd.ContentType' '"binary/octet-stream"' "S3's default content type"
aws_wait headmatch
expect_rc 254
expect_stderr "An error occurred (412) when calling the HeadObject operation: Precondition Failed"
aws_wait notmod
expect_rc 254
expect_stderr "An error occurred (304) when calling the GetObject operation: Not Modified"
aws_wait since
expect_rc 0

# A conditional create on an existing key (curl: CLI 2.9 cannot send If-None-Match on a PUT).
run "PUT If-None-Match: * on the existing lock (curl)" curl -sS --max-time 10 -X PUT \
  -H 'If-None-Match: *' --data-binary @"$TMP/odd.txt" -w '\n%{http_code}' \
  "$EMU_URL/$BUCKET/$KEY"
expect_rc 0
if tail -n 1 "$OUT" | grep -qx 412 && grep -q '<Code>PreconditionFailed</Code>' "$OUT" &&
  grep -q '<Condition>If-None-Match</Condition>' "$OUT"; then
  pass "412 PreconditionFailed, Condition If-None-Match"
else
  fail "412 PreconditionFailed, Condition If-None-Match"
fi

# ---------------------------------------------------------------- batch 3: delete
aws_run "s3api delete-object (the lock file)" s3api delete-object --bucket "$BUCKET" --key "$KEY"
expect_rc 0
expect_stdout_empty
aws_bg gone "s3api head-object (after the delete)" s3api head-object --bucket "$BUCKET" \
  --key "$KEY"
aws_bg delagain "s3api delete-object (already gone: still a success)" s3api delete-object \
  --bucket "$BUCKET" --key "$KEY"

# ---------------------------------------------------------------- signed (--credentials)
EMU_URL=$SIGNED_URL
export AWS_ACCESS_KEY_ID=$AKID AWS_SECRET_ACCESS_KEY=$SECRET
aws_bg sput "s3api put-object (signed, odd key)" s3api put-object --bucket "$BUCKET" \
  --key "$ODD_KEY" --body "$TMP/odd.txt"
AWS_SECRET_ACCESS_KEY=wrong-secret aws_bg swrong "s3api get-object (wrong secret)" \
  s3api get-object --bucket "$BUCKET" --key "$ODD_KEY" "$TMP/wrong.out"
AWS_ACCESS_KEY_ID=AKIDNOTINTHEFILE0001 aws_bg sunknown "s3api get-object (unknown key)" \
  s3api get-object --bucket "$BUCKET" --key "$ODD_KEY" "$TMP/unknown.out"
EMU_URL=$OPEN_URL
aws_wait gone
expect_rc 254
expect_stderr "An error occurred (404) when calling the HeadObject operation: Not Found"
aws_wait delagain
expect_rc 0
aws_wait sput
expect_rc 0
aws_wait swrong
expect_rc 254
expect_stderr "An error occurred (SignatureDoesNotMatch) when calling the GetObject operation: The request signature we calculated does not match the signature you provided."
aws_wait sunknown
expect_rc 254
expect_stderr "An error occurred (InvalidAccessKeyId) when calling the GetObject operation: The AWS Access Key Id you provided does not exist in our records."
EMU_URL=$SIGNED_URL
aws_run "s3api get-object (signed, odd key, after the signed put)" s3api get-object \
  --bucket "$BUCKET" --key "$ODD_KEY" "$TMP/signed.out"
expect_rc 0
run "the signed download is the upload" cmp "$TMP/odd.txt" "$TMP/signed.out"
expect_rc 0

# ---------------------------------------------------------------- the request log
EMU_URL=$OPEN_URL
run "GET /_local/requests" curl -sS --max-time 10 "$EMU_URL/_local/requests"
expect_true 'd.requests.filter(r => r.operation === "PutObject" && r.status === 200).length === 2' \
  "two PutObject 200 (the lock and the odd key)"
expect_true 'd.requests.filter(r => r.operation === "PutObject" && r.status === 412 && r.error === "PreconditionFailed").length === 1' \
  "one PutObject 412 PreconditionFailed"
expect_true 'd.requests.filter(r => r.operation === "DeleteObject" && r.status === 204).length === 2' \
  "two DeleteObject 204"
expect_true 'd.requests.some(r => r.operation === "HeadObject" && r.key === "dir/a b+c~!é(1)&=?.tflock")' \
  "keys are logged decoded"

finish
