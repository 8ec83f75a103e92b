/* SPDX-License-Identifier: MIT */
/*
 * test-authorize - Authorize, Simulate and GetRole end to end through
 * libroled and rolectl against a real agent: allow, implicit and explicit
 * deny with the deciding statement, ${aws:username} resolving to the local
 * user of the session, session-policy intersection, revoked sessions,
 * attested context keys that a request cannot override, Simulate and
 * GetRole for admins and principals only, and `rolectl check`/`explain`
 * output and exit codes.
 */
#undef NDEBUG
#include <jansson.h>
#include <roled/roled.h>
#include <unistd.h>

#include "agent.h"
#include "libtest.h"

static TestAgent agent;

static const char s3_policy[] =
        "{\"Version\": \"2012-10-17\", \"Statement\": [\n"
        " {\"Sid\": \"Read\", \"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", "
        "\"s3:ListBucket\"],\n"
        "  \"Resource\": \"arn:aws:s3:::data/*\"},\n"
        " {\"Sid\": \"Home\", \"Effect\": \"Allow\", \"Action\": \"s3:PutObject\",\n"
        "  \"Resource\": \"arn:aws:s3:::home/${aws:username}/*\"},\n"
        " {\"Sid\": \"NoSecret\", \"Effect\": \"Deny\", \"Action\": \"s3:*\",\n"
        "  \"Resource\": \"arn:aws:s3:::data/secret/*\"},\n"
        " {\"Effect\": \"Allow\", \"Action\": \"s3:DeleteObject\", \"Resource\": \"*\",\n"
        "  \"Condition\": {\"StringEquals\": {\"s3:prefix\": [\"tmp\", \"scratch\"]}}}\n"
        "]}\n";

/* Narrows the s3 role to the objects below data/public. */
static const char public_only[] =
        "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"Public\", \"Effect\": "
        "\"Allow\", "
        "\"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::data/public/*\"}]}";

static roled_client *connect_agent(void)
{
        roled_client *c = NULL;

        CHECK_INT(t_connect(agent.socket, &c), ==, ROLED_OK);
        return c;
}

/* creds() - a session of role s3 for this process, optionally narrowed. */
static void creds(roled_client *c, const char *policy, roled_credentials **cr)
{
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = "s3",
                                          .session_policy = policy,
                                          .flags = ROLED_CREDENTIALS_FRESH };

        CHECK_INT(t_get_credentials(c, &req, cr), ==, ROLED_OK);
}

/* authorize() - Authorize @action on arn:aws:s3:::@object with @cr's token. */
static roled_status authorize(roled_client *c, const roled_credentials *cr, const char *action,
                              const char *object, const roled_context_entry *ctx, size_t n_ctx,
                              roled_authz_result **res)
{
        char arn[512];
        roled_authz_request q = {
                .size = sizeof(roled_authz_request),
                .session_token = roled_credentials_session_token(cr),
                .access_key_id = roled_credentials_access_key_id(cr),
                .action = action,
                .resource = arn,
                .context = ctx,
                .n_context = n_ctx,
        };

        snprintf(arn, sizeof(arn), "arn:aws:s3:::%s", object);
        return t_authorize(c, &q, res);
}

static void check_match(const roled_authz_result *res, roled_decision d, uint32_t stmt,
                        const char *sid)
{
        CHECK_MSG(roled_authz_result_decision(res) == d, "decision %s, want %s",
                  roled_decision_name(roled_authz_result_decision(res)), roled_decision_name(d));
        CHECK(roled_authz_result_has_match(res));
        CHECK_INT(roled_authz_result_statement(res), ==, stmt);
        CHECK_STREQ(roled_authz_result_sid(res), sid);
        CHECK_STREQ(roled_authz_result_role(res), "s3");
        CHECK_CONTAINS(roled_authz_result_policy(res), "s3.json");
}

static int alice_decisions(void *arg)
{
        static const char *const prefix_tmp[] = { "tmp" }, *const prefix_two[] = { "x", "scratch" };
        const roled_context_entry tmp = { "s3:prefix", prefix_tmp, 1 },
                                  two = { "s3:prefix", prefix_two, 2 };
        roled_client *c = connect_agent();
        T_AUTO(roled_credentials) cr = NULL;
        T_AUTO(roled_authz_result) res = NULL;
        roled_authz_request q = { .size = sizeof(roled_authz_request),
                                  .action = "s3:GetObject",
                                  .resource = "arn:aws:s3:::data/a" };

        (void)arg;
        creds(c, NULL, &cr);
        CHECK_INT(authorize(c, cr, "s3:GetObject", "data/a", NULL, 0, &res), ==, ROLED_OK);
        check_match(res, ROLED_DECISION_ALLOW, 0, "Read");
        CHECK_STREQ(roled_authz_result_reason(res), "");
        CHECK_INT(authorize(c, cr, "s3:GetObject", "data/secret/a", NULL, 0, &res), ==, ROLED_OK);
        check_match(res, ROLED_DECISION_EXPLICIT_DENY, 2, "NoSecret");
        CHECK_INT(authorize(c, cr, "s3:GetObject", "other/a", NULL, 0, &res), ==, ROLED_OK);
        CHECK(roled_authz_result_decision(res) == ROLED_DECISION_IMPLICIT_DENY);
        CHECK(!roled_authz_result_has_match(res));
        CHECK_STREQ(roled_authz_result_role(res), "s3");

        /* ${aws:username} is the local user the session was issued to. */
        CHECK_INT(authorize(c, cr, "s3:PutObject", "home/roledalice/f", NULL, 0, &res), ==,
                  ROLED_OK);
        check_match(res, ROLED_DECISION_ALLOW, 1, "Home");
        CHECK_INT(authorize(c, cr, "s3:PutObject", "home/roledbob/f", NULL, 0, &res), ==, ROLED_OK);
        CHECK(roled_authz_result_decision(res) == ROLED_DECISION_IMPLICIT_DENY);

        /* Request context: one value, and a multi-valued key; a statement without a Sid. */
        CHECK_INT(authorize(c, cr, "s3:DeleteObject", "any/f", NULL, 0, &res), ==, ROLED_OK);
        CHECK(roled_authz_result_decision(res) == ROLED_DECISION_IMPLICIT_DENY);
        CHECK_INT(authorize(c, cr, "s3:DeleteObject", "any/f", &tmp, 1, &res), ==, ROLED_OK);
        check_match(res, ROLED_DECISION_ALLOW, 3, "");
        CHECK_INT(authorize(c, cr, "s3:DeleteObject", "any/f", &two, 1, &res), ==, ROLED_OK);
        CHECK(roled_authz_result_decision(res) == ROLED_DECISION_ALLOW);

        /* An access key id that is not the token's. */
        q.session_token = roled_credentials_session_token(cr);
        q.access_key_id = "ASIAAAAAAAAAAAAAAAAA";
        CHECK_INT(t_authorize(c, &q, &res), ==, ROLED_E_INVALID_TOKEN);
        /* A token that is not one. */
        q.session_token = "bm90IGEgdG9rZW4=";
        q.access_key_id = NULL;
        CHECK_INT(t_authorize(c, &q, &res), ==, ROLED_E_INVALID_TOKEN);
        /* Neither a token nor a signed request. */
        q.session_token = NULL;
        CHECK_INT(t_authorize(c, &q, &res), ==, ROLED_E_INVALID_ARGUMENT);
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
        return 0;
}

static int alice_attested(void *arg)
{
        static const char *const bob[] = { "roledbob" }, *const uid[] = { "0" };
        const roled_context_entry user = { "aws:username", bob, 1 },
                                  roled_uid = { "roled:uid", uid, 1 };
        roled_client *c = connect_agent();
        T_AUTO(roled_credentials) cr = NULL;
        T_AUTO(roled_authz_result) res = NULL;

        (void)arg;
        creds(c, NULL, &cr);
        /* Claiming to be bob would turn ${aws:username} into bob's home: refused. */
        CHECK_INT(authorize(c, cr, "s3:PutObject", "home/roledbob/f", &user, 1, &res), ==,
                  ROLED_E_INVALID_PARAMETER_VALUE);
        CHECK_CONTAINS(t_last_error(), "aws:username");
        CHECK_CONTAINS(t_last_error(), "attested");
        CHECK_INT(authorize(c, cr, "s3:GetObject", "data/a", &roled_uid, 1, &res), ==,
                  ROLED_E_INVALID_PARAMETER_VALUE);
        CHECK_CONTAINS(t_last_error(), "roled:uid");
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
        return 0;
}

static int alice_session_policy(void *arg)
{
        roled_client *c = connect_agent();
        T_AUTO(roled_credentials) cr = NULL;
        T_AUTO(roled_authz_result) res = NULL;

        (void)arg;
        creds(c, public_only, &cr);
        /* The role allows data/a, the session policy does not: both must allow. */
        CHECK_INT(authorize(c, cr, "s3:GetObject", "data/a", NULL, 0, &res), ==, ROLED_OK);
        CHECK(roled_authz_result_decision(res) == ROLED_DECISION_IMPLICIT_DENY);
        CHECK_INT(authorize(c, cr, "s3:GetObject", "data/public/a", NULL, 0, &res), ==, ROLED_OK);
        CHECK(roled_authz_result_decision(res) == ROLED_DECISION_ALLOW);
        /* Nor does the session policy allow what the role allows elsewhere. */
        CHECK_INT(authorize(c, cr, "s3:PutObject", "home/roledalice/f", NULL, 0, &res), ==,
                  ROLED_OK);
        CHECK(roled_authz_result_decision(res) == ROLED_DECISION_IMPLICIT_DENY);
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
        return 0;
}

/*
 * A caller who may narrow its own session can hand the agent a session policy
 * that is cheap to parse and dear to apply: 1,000 StringLike patterns (9 KiB)
 * matched against 50 request values of 1,000 bytes each, about 64 ms of
 * matching per Authorize if nothing stopped it. The engine stops at
 * POLICY_WORK_MAX and the agent answers a deny that says why; the same
 * session is still decided normally for a request of ordinary size.
 */
static int alice_costly_session_policy(void *arg)
{
        roled_client *c = connect_agent();
        T_AUTO(roled_credentials) cr = NULL;
        T_AUTO(roled_authz_result) res = NULL;
        static char policy[10240], value[1001]; /* PROTO_POLICY_MAX, PROTO_CONTEXT_VALUE_MAX */
        const char *values[50], *near[] = { "xz0007x" };
        size_t n = 0;

        (void)arg;
        n += (size_t)snprintf(policy + n, sizeof(policy) - n,
                              "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                              "\"Action\":\"s3:GetObject\",\"Resource\":\"*\",\"Condition\":"
                              "{\"ForAnyValue:StringLike\":{\"k\":[");
        for (int i = 0; i < 1000; i++)
                n += (size_t)snprintf(policy + n, sizeof(policy) - n, "%s\"*z%04d*\"", i ? "," : "",
                                      i);
        snprintf(policy + n, sizeof(policy) - n, "]}}}]}");
        memset(value, 'a', sizeof(value) - 1);
        for (size_t i = 0; i < 50; i++)
                values[i] = value;
        const roled_context_entry costly = { "k", values, 50 }, ordinary = { "k", near, 1 };

        creds(c, policy, &cr);
        CHECK_INT(authorize(c, cr, "s3:GetObject", "data/a", &costly, 1, &res), ==, ROLED_OK);
        CHECK(roled_authz_result_decision(res) == ROLED_DECISION_IMPLICIT_DENY);
        CHECK(!roled_authz_result_has_match(res));
        CHECK_CONTAINS(roled_authz_result_reason(res), "POLICY_WORK_MAX");
        /* The session and the agent still decide what they can afford to. */
        CHECK_INT(authorize(c, cr, "s3:GetObject", "data/a", &ordinary, 1, &res), ==, ROLED_OK);
        CHECK(roled_authz_result_decision(res) == ROLED_DECISION_ALLOW);
        CHECK_STREQ(roled_authz_result_reason(res), "");
        CHECK_INT(authorize(c, cr, "s3:GetObject", "data/a", NULL, 0, &res), ==, ROLED_OK);
        CHECK(roled_authz_result_decision(res) == ROLED_DECISION_IMPLICIT_DENY);
        CHECK_STREQ(roled_authz_result_reason(res), "");
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
        return 0;
}

static int alice_revoked(void *arg)
{
        roled_client *c = connect_agent();
        T_AUTO(roled_credentials) cr = NULL;
        T_AUTO(roled_authz_result) res = NULL;
        uint32_t n = 0;

        (void)arg;
        creds(c, NULL, &cr);
        CHECK_INT(authorize(c, cr, "s3:GetObject", "data/a", NULL, 0, &res), ==, ROLED_OK);
        CHECK(roled_authz_result_decision(res) == ROLED_DECISION_ALLOW);
        CHECK_INT(t_revoke(c, "s3", &n), ==, ROLED_OK);
        CHECK_INT(n, >=, 1);
        CHECK_INT(authorize(c, cr, "s3:GetObject", "data/a", NULL, 0, &res), ==,
                  ROLED_E_INVALID_TOKEN);
        CHECK_CONTAINS(t_last_error(), "revoked");
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
        return 0;
}

static void test_authorize(void)
{
        CHECK_INT(run_as(UID_ALICE, alice_decisions, NULL), ==, 0);
        CHECK_INT(run_as(UID_ALICE, alice_attested, NULL), ==, 0);
        CHECK_INT(run_as(UID_ALICE, alice_session_policy, NULL), ==, 0);
        CHECK_INT(run_as(UID_ALICE, alice_costly_session_policy, NULL), ==, 0);
        CHECK_INT(run_as(UID_ALICE, alice_revoked, NULL), ==, 0);
}

static roled_status simulate(const char *role, const char *action, const char *resource,
                             const roled_context_entry *ctx, size_t n_ctx, const char *policy,
                             roled_authz_result **res, char *err, size_t err_size)
{
        roled_client *c = connect_agent();
        roled_simulate_request q = {
                .size = sizeof(roled_simulate_request),
                .role = role,
                .action = action,
                .resource = resource,
                .context = ctx,
                .n_context = n_ctx,
                .session_policy = policy,
        };
        roled_status st = t_simulate(c, &q, res);

        snprintf(err, err_size, "%s", t_last_error());
        roled_client_close(c);
        return st;
}

static int bob_simulate(void *arg)
{
        T_AUTO(roled_authz_result) res = NULL;
        char err[512];

        (void)arg;
        CHECK_INT(simulate("s3", "s3:GetObject", "arn:aws:s3:::data/a", NULL, 0, NULL, &res, err,
                           sizeof(err)),
                  ==, ROLED_E_ACCESS_DENIED);
        return 0;
}

static void test_simulate(void)
{
        static const char *const bob[] = { "roledbob" };
        const roled_context_entry user = { "aws:username", bob, 1 };
        T_AUTO(roled_authz_result) res = NULL;
        char err[512];

        CHECK_INT(run_as(UID_BOB, bob_simulate, NULL), ==, 0);
        CHECK_INT(simulate("s3", "s3:GetObject", "arn:aws:s3:::data/a", NULL, 0, NULL, &res, err,
                           sizeof(err)),
                  ==, ROLED_OK);
        check_match(res, ROLED_DECISION_ALLOW, 0, "Read");
        CHECK_INT(simulate("s3", "s3:GetObject", "arn:aws:s3:::data/secret/k", NULL, 0, NULL, &res,
                           err, sizeof(err)),
                  ==, ROLED_OK);
        check_match(res, ROLED_DECISION_EXPLICIT_DENY, 2, "NoSecret");
        /* An administrator simulates any principal: aws:username is taken as given. */
        CHECK_INT(simulate("s3", "s3:PutObject", "arn:aws:s3:::home/roledbob/f", &user, 1, NULL,
                           &res, err, sizeof(err)),
                  ==, ROLED_OK);
        check_match(res, ROLED_DECISION_ALLOW, 1, "Home");
        CHECK_INT(simulate("s3", "s3:GetObject", "arn:aws:s3:::data/a", NULL, 0, public_only, &res,
                           err, sizeof(err)),
                  ==, ROLED_OK);
        CHECK(roled_authz_result_decision(res) == ROLED_DECISION_IMPLICIT_DENY);
        CHECK_INT(simulate("nopolicy", "s3:GetObject", "arn:aws:s3:::data/a", NULL, 0, NULL, &res,
                           err, sizeof(err)),
                  ==, ROLED_OK);
        CHECK(roled_authz_result_decision(res) == ROLED_DECISION_IMPLICIT_DENY);
        CHECK(!roled_authz_result_has_match(res));
        CHECK_INT(simulate("nosuchrole", "s3:GetObject", "arn:aws:s3:::data/a", NULL, 0, NULL, &res,
                           err, sizeof(err)),
                  ==, ROLED_E_NO_SUCH_ENTITY);
        CHECK_INT(simulate("s3", "s3:GetObject", "arn:aws:s3:::data/a", NULL, 0, "{not json", &res,
                           err, sizeof(err)),
                  ==, ROLED_E_MALFORMED_POLICY_DOCUMENT);
}

static roled_status get_role(const char *name, roled_role **r)
{
        roled_client *c = connect_agent();
        roled_status st = t_get_role(c, name, r);

        roled_client_close(c);
        return st;
}

static int get_role_expect(void *arg)
{
        T_AUTO(roled_role) r = NULL;
        roled_status want = (roled_status)(intptr_t)arg;

        CHECK_INT(get_role("s3", &r), ==, want);
        if (want == ROLED_OK)
                CHECK_STREQ(roled_role_name(r), "s3");
        r = roled_role_unref(r);
        return 0;
}

static void test_get_role(void)
{
        T_AUTO(roled_role) r = NULL;

        CHECK_INT(get_role("s3", &r), ==, ROLED_OK);
        CHECK_STREQ(roled_role_name(r), "s3");
        CHECK_CONTAINS(roled_role_arn(r), ":role/s3");
        CHECK(!strncmp(roled_role_role_id(r), "AROA", 4));
        CHECK_STREQ(roled_role_description(r), "object store access");
        CHECK_INT(roled_role_max_session_duration(r), ==, 7200);
        CHECK_CONTAINS(roled_role_file(r), "s3.ini");
        CHECK_CONTAINS(roled_role_trust_rules_json(r), "user:roledalice");
        CHECK(roled_role_trust_policy_json(r) == NULL);
        CHECK_CONTAINS(roled_role_permissions_policy_json(r), "NoSecret");
        /* s3's sessions name no program: no exe rule, nothing reads roled:exe. */
        CHECK_INT(roled_role_exe_claim(r), ==, 0);
        CHECK_INT(roled_role_exe_claim_cause_count(r), ==, 0);
        CHECK_INT(get_role("constrained", &r), ==, ROLED_OK);
        CHECK_INT(roled_role_exe_claim(r), ==, 1);
        CHECK_INT(roled_role_exe_claim_cause_count(r), ==, 1);
        CHECK_STREQ(roled_role_exe_claim_cause(r, 0), "exe");
        CHECK(roled_role_exe_claim_cause(r, 1) == NULL);
        /* by-group's permissions test roled:exe and roled:exe-sha256 for Null (HasExe). */
        CHECK_INT(get_role("by-group", &r), ==, ROLED_OK);
        CHECK_INT(roled_role_exe_claim(r), ==, 1);
        CHECK_INT(roled_role_exe_claim_cause_count(r), ==, 1);
        CHECK_STREQ(roled_role_exe_claim_cause(r, 0), "permissions");
        CHECK_INT(get_role("needs-hash", &r), ==, ROLED_OK);
        CHECK_INT(roled_role_exe_claim(r), ==, 1);
        CHECK_STREQ(roled_role_exe_claim_cause(r, 0), "exe_sha256");
        r = roled_role_unref(r);
        CHECK(r == NULL);
        r = roled_role_unref(r);
        CHECK_INT(get_role("nosuchrole", &r), ==, ROLED_E_NO_SUCH_ENTITY);
        CHECK_INT(run_as(UID_ALICE, get_role_expect, (void *)(intptr_t)ROLED_OK), ==, 0);
        /* bob is not a principal of s3: refused, like a role that does not exist. */
        CHECK_INT(run_as(UID_BOB, get_role_expect, (void *)(intptr_t)ROLED_E_ACCESS_DENIED), ==, 0);
}

static void test_rolectl_check(void)
{
        char *out = NULL, *err = NULL;
        json_t *j;

        CHECK_INT(rolectl(0, agent.socket, &out, &err, "check", "--role", "s3", "--action",
                          "s3:GetObject", "--resource", "arn:aws:s3:::data/a", NULL),
                  ==, 0);
        CHECK_CONTAINS(out, "allow: role s3, statement 0 \"Read\" of ");
        CHECK_CONTAINS(out, "s3.json\n");
        free(out);
        free(err);
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "check", "--role", "s3", "--action",
                          "s3:GetObject", "--resource", "arn:aws:s3:::data/secret/x", NULL),
                  ==, 1);
        CHECK_CONTAINS(out, "explicit-deny: role s3, statement 2 \"NoSecret\" of ");
        free(out);
        free(err);
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "check", "--role", "s3", "--action",
                          "s3:GetObject", "--resource", "arn:aws:s3:::elsewhere", NULL),
                  ==, 1);
        CHECK_STREQ(out, "implicit-deny: role s3, no statement matched\n");
        free(out);
        free(err);
        /* Simulate for root: the context is taken as given, values repeat into one key. */
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "check", "--role", "s3", "--action",
                          "s3:DeleteObject", "--resource", "arn:aws:s3:::x", "--context",
                          "s3:prefix=nope", "--context", "s3:prefix=scratch", "--json", NULL),
                  ==, 0);
        j = json_loads(out, 0, NULL);
        CHECK_MSG(j, "not JSON: %s", out);
        CHECK_STREQ(json_string_value(json_object_get(j, "decision")), "allow");
        CHECK_STREQ(json_string_value(json_object_get(j, "method")), "Simulate");
        CHECK_INT(json_integer_value(json_object_get(json_object_get(j, "matched"), "statement")),
                  ==, 3);
        CHECK(json_is_null(json_object_get(json_object_get(j, "matched"), "sid")));
        json_decref(j);
        free(out);
        free(err);

        /* Anyone else asks Authorize about a session of their own. */
        CHECK_INT(rolectl(UID_ALICE, agent.socket, &out, &err, "check", "--role", "s3", "--action",
                          "s3:PutObject", "--resource", "arn:aws:s3:::home/roledalice/x", "--json",
                          NULL),
                  ==, 0);
        j = json_loads(out, 0, NULL);
        CHECK_MSG(j, "not JSON: %s", out);
        CHECK_STREQ(json_string_value(json_object_get(j, "method")), "Authorize");
        CHECK_STREQ(json_string_value(json_object_get(json_object_get(j, "matched"), "sid")),
                    "Home");
        json_decref(j);
        free(out);
        free(err);
        CHECK_INT(rolectl(UID_ALICE, agent.socket, &out, &err, "check", "--role", "s3", "--action",
                          "s3:PutObject", "--resource", "arn:aws:s3:::home/roledbob/x", NULL),
                  ==, 1);
        CHECK_STREQ(out, "implicit-deny: role s3, no statement matched\n");
        free(out);
        free(err);
        CHECK_INT(rolectl(UID_ALICE, agent.socket, &out, &err, "check", "--role", "s3", "--action",
                          "s3:PutObject", "--resource", "arn:aws:s3:::home/roledbob/x", "--context",
                          "aws:username=roledbob", NULL),
                  ==, 1);
        CHECK_STREQ(out, "");
        CHECK_CONTAINS(err, "InvalidParameterValue");
        CHECK_CONTAINS(err, "aws:username");
        CHECK_INT(count_lines(err), ==, 1);
        free(out);
        free(err);
        /* bob may not assume s3: the GetCredentials refusal is shown. */
        CHECK_INT(rolectl(UID_BOB, agent.socket, &out, &err, "check", "--role", "s3", "--action",
                          "s3:GetObject", "--resource", "arn:aws:s3:::data/a", NULL),
                  ==, 1);
        CHECK_CONTAINS(err, "AccessDenied");
        free(out);
        free(err);
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "check", "--role", "s3", "--action",
                          "s3:GetObject", NULL),
                  ==, 2);
        CHECK_CONTAINS(err, "--resource");
        free(out);
        free(err);
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "check", "--role", "s3", "--action", "a",
                          "--resource", "r", "--context", "novalue", NULL),
                  ==, 2);
        free(out);
        free(err);
        CHECK_INT(rolectl(0, test_path("nosocket"), &out, &err, "check", "--role", "s3", "--action",
                          "s3:GetObject", "--resource", "arn:aws:s3:::data/a", NULL),
                  ==, 3);
        free(out);
        free(err);
}

static void test_rolectl_explain(void)
{
        char *out = NULL, *err = NULL;
        json_t *j;

        CHECK_INT(rolectl(0, agent.socket, &out, &err, "explain", "s3", NULL), ==, 0);
        CHECK_CONTAINS(out, "role         s3\n");
        CHECK_CONTAINS(out, "max session  2h\n");
        CHECK_CONTAINS(out, "users        root, roledalice\n");
        CHECK_CONTAINS(out, "groups       roledops\n");
        CHECK_CONTAINS(out, "uids         3000-3010\n");
        CHECK_CONTAINS(out, "statement 0 \"Read\": Allow\n");
        CHECK_CONTAINS(out, "actions      s3:GetObject, s3:ListBucket\n");
        CHECK_CONTAINS(out, "statement 2 \"NoSecret\": Deny\n");
        CHECK_CONTAINS(out, "resources    arn:aws:s3:::home/${aws:username}/*\n");
        CHECK_CONTAINS(out, "conditions   StringEquals s3:prefix = tmp or scratch\n");
        CHECK_CONTAINS(out, "issuer       local\nexe claim    no: sessions name no program\n");
        free(out);
        free(err);
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "explain", "constrained", NULL), ==, 0);
        CHECK_CONTAINS(out, "gids         2200\n");
        CHECK_CONTAINS(out, "roles        s3\n");
        CHECK_CONTAINS(out, "exe          /usr/bin/aws or /usr/local/bin/deploy\n");
        CHECK_CONTAINS(out, "unit         backup.service\n");
        CHECK_CONTAINS(out, "trust policy (must also allow):\n");
        CHECK_CONTAINS(out, "principals   Local: group:roledops\n");
        CHECK_CONTAINS(out, "nothing (no permissions policy)\n");
        CHECK_CONTAINS(out, "exe claim    yes (exe): sessions name the caller's program\n");
        free(out);
        free(err);
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "explain", "constrained", "--json", NULL),
                  ==, 0);
        j = json_loads(out, 0, NULL);
        CHECK_MSG(j, "not JSON: %s", out);
        CHECK(json_is_object(json_object_get(j, "trustRules")));
        CHECK(json_is_object(json_object_get(j, "trustPolicy")));
        CHECK(json_is_null(json_object_get(j, "permissionsPolicy")));
        CHECK_STREQ(json_string_value(json_object_get(j, "name")), "constrained");
        CHECK(json_is_true(json_object_get(j, "exeClaim")));
        CHECK_INT(json_array_size(json_object_get(j, "exeClaimCauses")), ==, 1);
        CHECK_STREQ(json_string_value(json_array_get(json_object_get(j, "exeClaimCauses"), 0)),
                    "exe");
        json_decref(j);
        free(out);
        free(err);
        /* A principal may explain its role; others may not, and cannot probe names. */
        CHECK_INT(rolectl(UID_ALICE, agent.socket, &out, &err, "explain", "s3", NULL), ==, 0);
        CHECK_CONTAINS(out, "\"NoSecret\"");
        free(out);
        free(err);
        CHECK_INT(rolectl(UID_BOB, agent.socket, &out, &err, "explain", "s3", NULL), ==, 1);
        CHECK_CONTAINS(err, "AccessDenied");
        CHECK_STREQ(out, "");
        free(out);
        free(err);
        CHECK_INT(rolectl(UID_BOB, agent.socket, &out, &err, "explain", "nosuchrole", NULL), ==, 1);
        CHECK_CONTAINS(err, "AccessDenied");
        free(out);
        free(err);
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "explain", NULL), ==, 2);
        free(out);
        free(err);
        /* [default] and [tags], as text and JSON; a role without them says so. */
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "explain", "by-group", NULL), ==, 0);
        CHECK_CONTAINS(out,
                       "  [default] rules (any principal listed, when every constraint holds):\n"
                       "    users        roledcarol\n");
        CHECK_CONTAINS(out, "  [tags]:\n");
        CHECK_CONTAINS(out, "    team         ops\n");
        CHECK_CONTAINS(out, "    cost-center  42\n");
        free(out);
        free(err);
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "explain", "s3", NULL), ==, 0);
        CHECK_CONTAINS(out, "  [default] rules: nobody (no [default] section)\n");
        CHECK_CONTAINS(out, "  [tags]: none\n");
        free(out);
        free(err);
        CHECK_INT(
                rolectl(UID_CAROL, agent.socket, &out, &err, "explain", "by-group", "--json", NULL),
                ==, 0);
        j = json_loads(out, 0, NULL);
        CHECK_MSG(j, "not JSON: %s", out);
        CHECK_STREQ(json_string_value(json_object_get(json_object_get(j, "tags"), "team")), "ops");
        CHECK_STREQ(json_string_value(json_object_get(json_object_get(j, "tags"), "cost-center")),
                    "42");
        CHECK_STREQ(
                json_string_value(json_array_get(
                        json_object_get(
                                json_object_get(
                                        json_array_get(
                                                json_object_get(json_object_get(j, "defaultRules"),
                                                                "Statement"),
                                                0),
                                        "Principal"),
                                "Local"),
                        0)),
                "user:roledcarol");
        json_decref(j);
        free(out);
        free(err);
}

/*
 * Keys about the session's principal that the token carries: its groups
 * (every one, named by the agent), executable hash and cgroup.  Carol is in
 * roledops through a supplementary group; Bob is in no extra group.  Both
 * may assume by-group (uids 2102-2103); only Carol's sessions may use it.
 */
static int groups_decision(void *arg)
{
        const char *want = arg;
        roled_client *c = connect_agent();
        T_AUTO(roled_credentials) cr = NULL;
        roled_credentials_request req = { .size = sizeof(roled_credentials_request),
                                          .role = "by-group",
                                          .flags = ROLED_CREDENTIALS_FRESH };
        T_AUTO(roled_authz_result) res = NULL;
        roled_authz_request q = { .size = sizeof(roled_authz_request),
                                  .action = "s3:GetObject",
                                  .resource = "arn:aws:s3:::ops/log" };

        CHECK_INT(t_get_credentials(c, &req, &cr), ==, ROLED_OK);
        q.session_token = roled_credentials_session_token(cr);
        CHECK_INT(t_authorize(c, &q, &res), ==, ROLED_OK);
        CHECK_STREQ(roled_decision_name(roled_authz_result_decision(res)), want);
        if (roled_authz_result_decision(res) == ROLED_DECISION_ALLOW)
                CHECK_STREQ(roled_authz_result_sid(res), "OpsByName");
        q.action = "s3:PutObject";
        CHECK_INT(t_authorize(c, &q, &res), ==, ROLED_OK);
        CHECK_STREQ(roled_decision_name(roled_authz_result_decision(res)), want);
        if (roled_authz_result_decision(res) == ROLED_DECISION_ALLOW)
                CHECK_STREQ(roled_authz_result_sid(res), "OpsByGid");
        /* The executable and cgroup keys are present for every session: a Null check on them. */
        q.action = "s3:ListBucket";
        CHECK_INT(t_authorize(c, &q, &res), ==, ROLED_OK);
        CHECK_STREQ(roled_decision_name(roled_authz_result_decision(res)), "allow");
        CHECK_STREQ(roled_authz_result_sid(res), "HasExe");
        /* The role's [tags] are the session's aws:PrincipalTag keys, also as a policy variable. */
        q.action = "s3:DeleteObject";
        q.resource = "arn:aws:s3:::teams/ops/x";
        CHECK_INT(t_authorize(c, &q, &res), ==, ROLED_OK);
        CHECK_STREQ(roled_authz_result_sid(res), "TeamFolder");
        q.resource = "arn:aws:s3:::teams/dev/x";
        CHECK_INT(t_authorize(c, &q, &res), ==, ROLED_OK);
        CHECK_STREQ(roled_decision_name(roled_authz_result_decision(res)), "implicit-deny");
        cr = roled_credentials_unref(cr);
        roled_client_close(c);
        return 0;
}

static void test_session_groups(void)
{
        CHECK_INT(run_as(UID_CAROL, groups_decision, (void *)"allow"), ==, 0);
        CHECK_INT(run_as(UID_BOB, groups_decision, (void *)"implicit-deny"), ==, 0);
}

/*
 * An administrator's `rolectl check` (Simulate) sees what a real session of
 * the role sees: its tags as aws:PrincipalTag (a policy variable and a
 * condition key here), roled:role, aws:PrincipalArn.  groups_decision()
 * showed a real session allowed on teams/ops and denied on teams/dev.
 */
static void test_simulate_matches_session(void)
{
        char *out = NULL, *err = NULL;

        CHECK_INT(rolectl(0, agent.socket, &out, &err, "check", "--role", "by-group", "--action",
                          "s3:DeleteObject", "--resource", "arn:aws:s3:::teams/ops/x", NULL),
                  ==, 0);
        CHECK_CONTAINS(out, "allow: role by-group");
        CHECK_CONTAINS(out, "TeamFolder");
        free(out);
        free(err);
        CHECK_INT(rolectl(0, agent.socket, &out, &err, "check", "--role", "by-group", "--action",
                          "s3:DeleteObject", "--resource", "arn:aws:s3:::teams/dev/x", NULL),
                  ==, 1);
        CHECK_CONTAINS(out, "implicit-deny");
        free(out);
        free(err);
}

int main(int argc, char **argv)
{
        const char *cfg;

        test_init(argc, argv);
        cfg = config_new(NULL);
        config_put(cfg, "roles.d/s3.json", "%s", s3_policy);
        config_put(
                cfg, "roles.d/s3.ini",
                "[role]\nname = s3\ndescription = object store access\nmax_session_duration = 2h\n"
                "permissions = s3.json\n[trust]\nusers = root, roledalice\ngroups = roledops\n"
                "uids = 3000-3010\n");
        config_put(cfg, "roles.d/nopolicy.ini", "[role]\nname = nopolicy\n[trust]\nusers = root\n");
        config_put(cfg, "roles.d/trust.json",
                   "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
                   "\"Action\": \"sts:AssumeRole\", \"Principal\": {\"Local\": "
                   "\"group:roledops\"}}]}");
        config_put(
                cfg, "roles.d/constrained.ini",
                "[role]\nname = constrained\ntrust_policy = trust.json\n[trust]\ngids = 2200\n"
                "roles = s3\nexe = /usr/bin/aws /usr/local/bin/deploy\nunits = backup.service\n");
        config_put(
                cfg, "roles.d/groups.json",
                "{\"Version\": \"2012-10-17\", \"Statement\": [\n"
                " {\"Sid\": \"OpsByName\", \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", "
                "\"Resource\": \"*\", \"Condition\": {\"ForAnyValue:StringEquals\": "
                "{\"roled:groups\": \"roledops\"}}},\n"
                " {\"Sid\": \"OpsByGid\", \"Effect\": \"Allow\", \"Action\": \"s3:PutObject\", "
                "\"Resource\": \"*\", \"Condition\": {\"ForAnyValue:NumericEquals\": "
                "{\"roled:gids\": \"2200\"}}},\n"
                " {\"Sid\": \"TeamFolder\", \"Effect\": \"Allow\", \"Action\": "
                "\"s3:DeleteObject\", "
                "\"Resource\": \"arn:aws:s3:::teams/${aws:PrincipalTag/team}/*\", \"Condition\": "
                "{\"StringEquals\": {\"aws:PrincipalTag/cost-center\": \"42\"}}},\n"
                " {\"Sid\": \"HasExe\", \"Effect\": \"Allow\", \"Action\": \"s3:ListBucket\", "
                "\"Resource\": \"*\", \"Condition\": {\"Null\": {\"roled:exe-sha256\": \"false\", "
                "\"roled:exe\": \"false\"}}}\n]}\n");
        /*
         * An exe_sha256 rule naming these callers among its principals makes
         * the agent hash their executables, so their sessions carry the hash.
         */
        config_put(cfg, "roles.d/zz-hash.ini",
                   "[role]\nname = needs-hash\n[trust]\nusers = root roledbob "
                   "roledcarol\nexe_sha256 = %064d\n",
                   0);
        config_put(cfg, "roles.d/by-group.ini",
                   "[role]\nname = by-group\npermissions = groups.json\n[trust]\nuids = 2102-2103\n"
                   "[default]\nusers = roledcarol\n[tags]\nteam = ops\ncost-center = 42\n");
        agent_spawn(cfg, &agent);
        test_session_groups();
        test_simulate_matches_session();
        test_authorize();
        test_simulate();
        test_get_role();
        test_rolectl_check();
        test_rolectl_explain();
        agent_stop(&agent);
        return 0;
}
