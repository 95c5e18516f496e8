// SPDX-License-Identifier: Apache-2.0
// bench/quota peer: the same read with the AWS SDK for JavaScript v3 -- every page of
// ListIdentityPools, then DescribeIdentityPool for every pool, 16 promises at a time, the
// SDK's default (standard) retries. Prints one line:
// `sdk-js-v3 pools=N described=D failed=F seconds=S retries=R`.
// usage: node peer_sdk_v3.mjs ENDPOINT_URL NODE_MODULES_DIR [CONCURRENCY]
import { createRequire } from "node:module";

const [url, modules, concurrency = "16"] = process.argv.slice(2);
const require = createRequire(modules + "/");
const { CognitoIdentityClient, ListIdentityPoolsCommand, DescribeIdentityPoolCommand } =
  require("@aws-sdk/client-cognito-identity");
const client = new CognitoIdentityClient({ endpoint: url });

const t0 = performance.now();
const ids = [];
let token;
let retries = 0;
do {
  const page = await client.send(new ListIdentityPoolsCommand({ MaxResults: 60, NextToken: token }));
  retries += page.$metadata.attempts - 1;
  for (const p of page.IdentityPools) ids.push(p.IdentityPoolId);
  token = page.NextToken;
} while (token);

let next = 0;
let ok = 0;
async function worker() {
  while (next < ids.length) {
    const id = ids[next++];
    try {
      const r = await client.send(new DescribeIdentityPoolCommand({ IdentityPoolId: id }));
      retries += r.$metadata.attempts - 1;
      ok++;
    } catch (e) {
      retries += (e.$metadata?.attempts ?? 1) - 1;
    }
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
const seconds = (performance.now() - t0) / 1000;
console.log(`sdk-js-v3 pools=${ids.length} described=${ok} failed=${ids.length - ok} ` +
  `seconds=${seconds.toFixed(2)} retries=${retries}`);
