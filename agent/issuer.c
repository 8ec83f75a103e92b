/* SPDX-License-Identifier: MIT */
/*
 * issuer.c - the table of issuer drivers (see issuer.h) and the calls that
 * route a role to its driver.
 */
#include "issuer.h"

#include <errno.h>

#include "issuer_aws.h"
#include "issuer_local.h"

static const IssuerDriver *const drivers[ROLE_ISSUER_COUNT] = {
        [ROLE_ISSUER_LOCAL] = &issuer_local_driver,
        [ROLE_ISSUER_AWS] = &issuer_aws_driver,
};

_Static_assert(ROLE_ISSUER_COUNT <= sizeof(((Agent *)0)->issuer_state) / sizeof(void *),
               "Agent.issuer_state has a slot per issuer");

const IssuerDriver *issuer_driver(RoleIssuer issuer)
{
        return (unsigned)issuer < ROLE_ISSUER_COUNT ? drivers[issuer] : NULL;
}

const char *issuer_name(RoleIssuer issuer)
{
        const IssuerDriver *d = issuer_driver(issuer);

        return d ? d->name : "unknown";
}

const char *issuer_exe(const IssueRequest *req)
{
        return req->has_exe_claim && req->id->is_exe_path_verified ? req->id->exe : "";
}

const uint8_t *issuer_exe_sha256(const IssueRequest *req)
{
        return req->has_exe_claim && req->id->has_exe_sha256 ? req->id->exe_sha256 : NULL;
}

int issuers_init(Agent *agent)
{
        for (unsigned i = 0; i < ROLE_ISSUER_COUNT; i++) {
                int r = drivers[i]->init(agent, &agent->issuer_state[i]);

                if (r < 0) {
                        issuers_fini(agent);
                        return r;
                }
        }
        return 0;
}

void issuers_fini(Agent *agent)
{
        for (unsigned i = 0; i < ROLE_ISSUER_COUNT; i++) {
                if (agent->issuer_state[i])
                        drivers[i]->fini(agent->issuer_state[i]);
                agent->issuer_state[i] = NULL;
        }
}

int issuer_issue(Agent *agent, const IssueRequest *req, Credentials *out, IssueError *err,
                 IssueDone done, void *userdata)
{
        const IssuerDriver *d = issuer_driver(req->role->issuer);

        if (!d)
                return -EINVAL;
        return d->issue(agent->issuer_state[req->role->issuer], req, out, err, done, userdata);
}

int issuer_verify(Agent *agent, const char *token, size_t len, int64_t now, TokenClaims *claims)
{
        return drivers[ROLE_ISSUER_LOCAL]->verify(agent->issuer_state[ROLE_ISSUER_LOCAL], token,
                                                  len, now, claims);
}

void issuer_describe(Agent *agent, RoleIssuer issuer, const Role *role, IssuerHealth *h)
{
        const IssuerDriver *d = issuer_driver(role ? role->issuer : issuer);

        if (!d) {
                *h = (IssuerHealth){ .state = "unknown" };
                return;
        }
        d->describe(agent->issuer_state[role ? role->issuer : issuer], role, h);
}
