/* SPDX-License-Identifier: MIT */
/*
 * handlers_policy.c - Authorize and Simulate: permission decisions with the
 * policy engine (agent/policy).
 */
#include "dispatch.h"

int handle_AUTHORIZE(Request *req)
{
        return request_fail(req, PROTO_UNSUPPORTED_OPERATION, "Authorize is not available yet");
}

int handle_SIMULATE(Request *req)
{
        return request_fail(req, PROTO_UNSUPPORTED_OPERATION, "Simulate is not available yet");
}
