#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""bench/quota peer: the read a user would script with boto3 instead of `plan` -- every page of
ListIdentityPools, then DescribeIdentityPool for every pool on 16 threads, standard retries
(botocore's default retry mode for the AWS CLI v2 and boto3 >= 1.26 configs: 3 attempts).
Prints one line: `boto3 pools=N described=D failed=F seconds=S retries=R`.
usage: peer_boto3.py ENDPOINT_URL [THREADS]"""
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import botocore.config
import botocore.exceptions

url = sys.argv[1]
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 16
cfg = botocore.config.Config(retries={"mode": "standard"}, max_pool_connections=threads)
client = boto3.client("cognito-identity", endpoint_url=url, config=cfg)

t0 = time.monotonic()
ids, token, retries = [], None, 0
while True:
    kw = {"MaxResults": 60}
    if token:
        kw["NextToken"] = token
    page = client.list_identity_pools(**kw)
    retries += page["ResponseMetadata"].get("RetryAttempts", 0)
    ids += [p["IdentityPoolId"] for p in page["IdentityPools"]]
    token = page.get("NextToken")
    if not token:
        break


def describe(pool_id):
    try:
        r = client.describe_identity_pool(IdentityPoolId=pool_id)
        return True, r["ResponseMetadata"].get("RetryAttempts", 0)
    except botocore.exceptions.ClientError as e:
        return False, e.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)


with ThreadPoolExecutor(max_workers=threads) as pool:
    results = list(pool.map(describe, ids))
seconds = time.monotonic() - t0
ok = sum(1 for good, _ in results if good)
retries += sum(r for _, r in results)
print(f"boto3 pools={len(ids)} described={ok} failed={len(ids) - ok} seconds={seconds:.2f} "
      f"retries={retries}")
