-- SPDX-License-Identifier: Apache-2.0
-- wrk script: DescribeIdentityPool on one keep-alive connection per wrk connection.
-- Usage: wrk ... -s describe.lua URL -- POOL_ID
local pool_id = "us-east-1:00000000-0000-0000-0000-000000000000"

function init(args)
  if args[1] then pool_id = args[1] end
  wrk.method = "POST"
  wrk.path = "/"
  wrk.body = '{"IdentityPoolId":"' .. pool_id .. '"}'
  wrk.headers["Content-Type"] = "application/x-amz-json-1.1"
  wrk.headers["X-Amz-Target"] = "AWSCognitoIdentityService.DescribeIdentityPool"
end
