-- SPDX-License-Identifier: Apache-2.0
-- wrk script: the baseline, GET /_local/health (routing and HTTP only, no state, no JSON parse).
wrk.method = "GET"
wrk.path = "/_local/health"
