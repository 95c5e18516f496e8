#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes POOLS pools across FILES manifest files into DIR (bench/validate).

usage: gen.py DIR [POOLS] [FILES]   (defaults 10000 and 100)

Each pool is realistic: social and user-pool providers, OIDC, roles, a Rules role mapping
with two rules, principal tags and user tags -- every check of `validate` has work to do.
"""
import os
import sys


def pool(i):
    up = "cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool%05d" % i
    return f"""apiVersion: cognito-reconcile/v1
kind: IdentityPool
metadata:
  name: pool-{i:05d}
spec:
  identityPoolName: Bench Pool {i}
  allowUnauthenticatedIdentities: {"true" if i % 2 else "false"}
  allowClassicFlow: false
  developerProviderName: login.bench.p{i}
  supportedLoginProviders:
    graph.facebook.com: "{7346241598935552 + i}"
    accounts.google.com: {i}-bench.apps.googleusercontent.com
  cognitoIdentityProviders:
    - providerName: {up}
      clientId: client{i:08d}abcdef
      serverSideTokenCheck: true
  openIdConnectProviderARNs:
    - arn:aws:iam::123456789012:oidc-provider/auth{i}.example.com
  roles:
    authenticated: arn:aws:iam::123456789012:role/Bench{i}Auth
    unauthenticated: arn:aws:iam::123456789012:role/Bench{i}Guest
  roleMappings:
    "{up}:client{i:08d}abcdef":
      type: Rules
      ambiguousRoleResolution: Deny
      rulesConfiguration:
        rules:
          - {{claim: custom:tier, matchType: Equals, value: paid, roleARN: arn:aws:iam::123456789012:role/Bench{i}Paid}}
          - {{claim: cognito:groups, matchType: Contains, value: admins, roleARN: arn:aws:iam::123456789012:role/Bench{i}Admin}}
  principalTagAttributeMaps:
    {up}:
      useDefaults: false
      principalTags: {{department: "custom:department", tier: "custom:tier"}}
  tags: {{team: bench, env: prod, index: "{i}"}}
"""


def main():
    out = sys.argv[1]
    pools = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    files = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    os.makedirs(out, exist_ok=True)
    per = (pools + files - 1) // files
    n = 0
    for f in range(files):
        docs = [pool(i) for i in range(f * per, min(pools, (f + 1) * per))]
        with open(os.path.join(out, "pools-%03d.yaml" % f), "w") as fh:
            fh.write("---\n".join(docs))
        n += len(docs)
    print("%d pools in %d files in %s" % (n, files, out))


if __name__ == "__main__":
    main()
