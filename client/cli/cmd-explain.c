/* SPDX-License-Identifier: MIT */
/*
 * cmd-explain.c - `rolectl explain ROLE`: who may assume a role and what it
 * may do, from GetRole, and for a role whose issuer has an upstream (aws)
 * that upstream's health from Status.  The documents the [trust] and
 * [default] sections compile to are shown as principals (users, groups,
 * uids, gids, roles) and constraints (exe, exe-sha256, unit); the [tags] as
 * KEY VALUE; the JSON trust policy and each permissions statement as Sid,
 * Effect, actions, resources and conditions; whether its sessions name the
 * caller's program (the exe claim) and why.  Only rendering lives here: the
 * agent decides who may see a role, and whether its sessions name the program.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli-json.h"

/* parse() - a policy document as JSON, or NULL when absent or not JSON. */
static json_t *parse(const char *text)
{
        return text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;
}

/* A document for --json: parsed when it is JSON, the raw text otherwise, null when absent. */
static json_t *doc_json(const char *text)
{
        json_t *j;

        if (!text)
                return json_null();
        j = parse(text);
        return j ? j : json_string(text);
}

/* The role's [tags] as a JSON object (NULL when out of memory). */
static json_t *tags_json(const roled_role *r)
{
        json_t *tags = json_object();

        for (size_t i = 0; tags && i < roled_role_tag_count(r); i++)
                if (json_object_set_new(tags, roled_role_tag_key(r, i),
                                        json_string(roled_role_tag_value(r, i))) < 0) {
                        json_decref(tags);
                        return NULL;
                }
        return tags;
}

/* exeClaim for --json: true, false, or null when the agent does not say. */
static json_t *exe_claim_json(const roled_role *r)
{
        int claim = roled_role_exe_claim(r);

        return claim < 0 ? json_null() : json_boolean(claim);
}

/* exeClaimCauses for --json: an array of names, or null when the agent does not say. */
static json_t *exe_claim_causes_json(const roled_role *r)
{
        json_t *causes;

        if (roled_role_exe_claim(r) < 0)
                return json_null();
        causes = json_array();
        for (size_t i = 0; causes && i < roled_role_exe_claim_cause_count(r); i++)
                if (json_array_append_new(causes, json_string(roled_role_exe_claim_cause(r, i))) <
                    0) {
                        json_decref(causes);
                        return NULL;
                }
        return causes;
}

static int print_json(const roled_role *r, json_t *upstream)
{
        json_t *o =
                json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:O, "
                          "s:o, s:o}",
                          "name", roled_role_name(r), "arn", roled_role_arn(r), "roleId",
                          roled_role_role_id(r), "description", roled_role_description(r),
                          "maxSessionDuration", (json_int_t)roled_role_max_session_duration(r),
                          "issuer", roled_role_issuer(r), "file", roled_role_file(r), "trustRules",
                          doc_json(roled_role_trust_rules_json(r)), "defaultRules",
                          doc_json(roled_role_default_rules_json(r)), "trustPolicy",
                          doc_json(roled_role_trust_policy_json(r)), "permissionsPolicy",
                          doc_json(roled_role_permissions_policy_json(r)), "tags", tags_json(r),
                          "upstream", upstream ? upstream : json_null(), "exeClaim",
                          exe_claim_json(r), "exeClaimCauses", exe_claim_causes_json(r));

        return cli_print_json(o);
}

/* print_value() - a JSON scalar as text: strings bare, anything else as JSON. */
static void print_value(const json_t *v)
{
        char *s;

        if (json_is_string(v)) {
                fputs(json_string_value(v), stdout);
                return;
        }
        s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        fputs(s ? s : "?", stdout);
        free(s);
}

/* print_list() - a string or an array of them, joined with @sep. */
static void print_list(const json_t *v, const char *sep)
{
        size_t i;
        json_t *e;

        if (!json_is_array(v)) {
                print_value(v);
                return;
        }
        json_array_foreach(v, i, e)
        {
                if (i)
                        fputs(sep, stdout);
                print_value(e);
        }
}

static void print_field(const char *indent, const char *label, const json_t *v)
{
        if (!v)
                return;
        printf("%s%-12s ", indent, label);
        print_list(v, ", ");
        putchar('\n');
}

static void print_principal(const char *indent, const char *label, const json_t *p)
{
        const char *kind;
        json_t *v;
        bool is_first = true;

        if (!p)
                return;
        if (!json_is_object(p)) {
                print_field(indent, label, p);
                return;
        }
        printf("%s%-12s ", indent, label);
        json_object_foreach((json_t *)p, kind, v)
        {
                printf("%s%s: ", is_first ? "" : "; ", kind);
                print_list(v, ", ");
                is_first = false;
        }
        putchar('\n');
}

/* print_conditions() - "Operator key = v1 or v2", one line each. */
static void print_conditions(const char *indent, const json_t *cond)
{
        const char *op, *key;
        json_t *keys, *vals;
        bool is_first = true;

        if (!json_is_object(cond))
                return;
        json_object_foreach((json_t *)cond, op, keys)
        {
                if (!json_is_object(keys))
                        continue;
                json_object_foreach(keys, key, vals)
                {
                        printf("%s%-12s %s %s = ", indent, is_first ? "conditions" : "", op, key);
                        print_list(vals, " or ");
                        putchar('\n');
                        is_first = false;
                }
        }
}

static void print_statement(size_t i, const json_t *s)
{
        const json_t *sid = json_object_get(s, "Sid"), *effect = json_object_get(s, "Effect");

        printf("    statement %zu", i);
        if (json_is_string(sid))
                printf(" \"%s\"", json_string_value(sid));
        printf(": %s\n", json_is_string(effect) ? json_string_value(effect) : "?");
        print_principal("      ", "principals", json_object_get(s, "Principal"));
        print_principal("      ", "not principal", json_object_get(s, "NotPrincipal"));
        print_field("      ", "actions", json_object_get(s, "Action"));
        print_field("      ", "not actions", json_object_get(s, "NotAction"));
        print_field("      ", "resources", json_object_get(s, "Resource"));
        print_field("      ", "not resources", json_object_get(s, "NotResource"));
        print_conditions("      ", json_object_get(s, "Condition"));
}

/* print_document() - each statement of an IAM policy document (an object or an array of them). */
static void print_document(const char *title, const char *text)
{
        json_t *doc = parse(text), *stmts, *s;
        size_t i;

        printf("  %s:\n", title);
        stmts = json_object_get(doc, "Statement");
        if (!stmts) {
                printf("    %s\n", text ? text : "(none)");
                json_decref(doc);
                return;
        }
        if (json_is_object(stmts)) {
                print_statement(0, stmts);
        } else {
                json_array_foreach(stmts, i, s) print_statement(i, s);
        }
        json_decref(doc);
}

/* One kind of principal or constraint of the [trust] rules, gathered for printing. */
typedef struct Group {
        const char *label;
        const char *prefix; /* of the Local principal ("user:"), or NULL for a condition key */
        const char *key;    /* the StringEquals key of a constraint */
} Group;

static const Group groups[] = {
        { "users", "user:", NULL },
        { "groups", "group:", NULL },
        { "uids", "uid:", NULL },
        { "gids", "gid:", NULL },
        { "roles", "role:", NULL },
        { "exe", NULL, "roled:exe" },
        { "exe-sha256", NULL, "roled:exe-sha256" },
        { "unit", NULL, "roled:unit" },
};

/*
 * print_rules() - the document a [trust] or [default] section compiles to:
 * Principal.Local entries by kind, then the StringEquals constraints, under
 * @title.
 */
static void print_rules(const char *title, const char *text)
{
        json_t *doc = parse(text), *stmt, *local, *equals, *e;
        size_t i;

        stmt = json_array_get(json_object_get(doc, "Statement"), 0);
        local = json_object_get(json_object_get(stmt, "Principal"), "Local");
        equals = json_object_get(json_object_get(stmt, "Condition"), "StringEquals");
        if (!json_is_array(local)) {
                /* text ?: "": the callers pass non-NULL, but gcc -O2 sees parse()'s NULL test */
                printf("  %s:\n    %s\n", title, text ? text : "");
                json_decref(doc);
                return;
        }
        printf("  %s (any principal listed, when every constraint holds):\n", title);
        json_array_foreach(local, i, e) if (json_is_string(e) && streq(json_string_value(e), "*"))
                printf("    %-12s any user\n", "principals");
        for (size_t g = 0; g < ELEMENTSOF(groups); g++) {
                bool is_first = true;

                if (groups[g].key) {
                        if (json_object_get(equals, groups[g].key)) {
                                printf("    %-12s ", groups[g].label);
                                print_list(json_object_get(equals, groups[g].key), " or ");
                                putchar('\n');
                        }
                        continue;
                }
                json_array_foreach(local, i, e)
                {
                        const char *s = json_string_value(e);
                        size_t n = strlen(groups[g].prefix);

                        if (!s || strncmp(s, groups[g].prefix, n) != 0)
                                continue;
                        if (is_first)
                                printf("    %-12s %s", groups[g].label, s + n);
                        else
                                printf(", %s", s + n);
                        is_first = false;
                }
                if (!is_first)
                        putchar('\n');
        }
        json_decref(doc);
}

/*
 * The upstream of @r's issuer, from the agent's Status (`issuers`), or NULL
 * for the local issuer or an agent that does not report it.  New reference.
 */
static json_t *upstream_of(roled_client *client, const roled_role *r)
{
        char *text = NULL;
        json_t *status, *list, *u, *found = NULL;
        size_t i;

        if (strcmp(roled_role_issuer(r), "local") == 0 ||
            roled_agent_status_json(client, &text, NULL) != ROLED_OK)
                return NULL;
        status = json_loads(text, 0, NULL);
        free(text);
        list = json_object_get(status, "issuers");
        json_array_foreach(list, i, u)
        {
                if (json_is_object(u) && json_is_string(json_object_get(u, "issuer")) &&
                    strcmp(json_string_value(json_object_get(u, "issuer")), roled_role_issuer(r)) ==
                            0) {
                        found = json_incref(u);
                        break;
                }
        }
        json_decref(status);
        return found;
}

static void print_upstream(const json_t *u)
{
        const char *err = json_string_value(json_object_get(u, "lastError"));

        printf("%-12s %s, %lld call(s)", "upstream", json_string_value(json_object_get(u, "state")),
               (long long)json_integer_value(json_object_get(u, "calls")));
        const json_t *source = json_object_get(u, "source");
        const json_t *mfa_expires = json_object_get(u, "mfaExpires");

        if (err && *err)
                printf("; last error: %s", err);
        putchar('\n');
        if (json_is_string(source))
                printf("%-12s %s\n", "source", json_string_value(source));
        if (json_is_integer(mfa_expires)) {
                json_int_t until = json_integer_value(mfa_expires);
                json_int_t waiting = json_integer_value(json_object_get(u, "mfaWaiting"));
                char iso[CIVIL_ISO8601_SIZE];

                cli_format_iso((int64_t)until, iso);
                printf("%-12s %s%s; %lld request(s) wait for a code%s\n", "mfa",
                       until > 0 ? "session until " : "no session", until > 0 ? iso : "",
                       (long long)waiting, waiting > 0 ? " (rolectl mfa CODE)" : "");
        }
}

/*
 * print_exe_claim() - whether the role's sessions name the caller's program,
 * and why (GetRole's exeClaim and exeClaimCauses).
 */
static void print_exe_claim(const roled_role *r)
{
        int claim = roled_role_exe_claim(r);

        printf("%-12s ", "exe claim");
        if (claim < 0) {
                printf("unknown (the agent does not say)\n");
                return;
        }
        if (!claim) {
                printf("no: sessions name no program\n");
                return;
        }
        printf("yes (");
        for (size_t i = 0; i < roled_role_exe_claim_cause_count(r); i++)
                printf("%s%s", i ? ", " : "", roled_role_exe_claim_cause(r, i));
        printf("): sessions name the caller's program\n");
}

static void print_text(const roled_role *r, const json_t *upstream)
{
        const char *trust_rules, *default_rules;
        char dur[32];

        duration_format(roled_role_max_session_duration(r), dur, sizeof(dur));
        printf("%-12s %s\n", "role", roled_role_name(r));
        printf("%-12s %s\n", "arn", roled_role_arn(r));
        printf("%-12s %s\n", "role id", roled_role_role_id(r));
        printf("%-12s %s\n", "description",
               roled_role_description(r)[0] ? roled_role_description(r) : "-");
        printf("%-12s %s\n", "max session", dur);
        printf("%-12s %s\n", "defined in", roled_role_file(r));
        printf("%-12s %s\n", "issuer", roled_role_issuer(r));
        print_exe_claim(r);
        if (upstream)
                print_upstream(upstream);
        printf("\nWho may assume it:\n");
        trust_rules = roled_role_trust_rules_json(r);
        if (trust_rules)
                print_rules("[trust] rules", trust_rules);
        else if (roled_role_trust_policy_json(r))
                printf("  [trust] rules: none; the trust policy alone decides\n");
        else
                printf("  [trust] rules: nobody (no principals)\n");
        if (roled_role_trust_policy_json(r))
                print_document(trust_rules ? "trust policy (must also allow)" : "trust policy",
                               roled_role_trust_policy_json(r));
        printf("\nWhose default role it is (callers who may assume it and match):\n");
        default_rules = roled_role_default_rules_json(r);
        if (default_rules)
                print_rules("[default] rules", default_rules);
        else
                printf("  [default] rules: nobody (no [default] section)\n");
        printf("\nSession tags (aws:PrincipalTag/KEY):\n");
        if (roled_role_tag_count(r) == 0)
                printf("  [tags]: none\n");
        else
                printf("  [tags]:\n");
        for (size_t i = 0; i < roled_role_tag_count(r); i++)
                printf("    %-12s %s\n", roled_role_tag_key(r, i), roled_role_tag_value(r, i));
        printf("\nWhat it may do:\n");
        if (roled_role_permissions_policy_json(r))
                print_document("permissions policy", roled_role_permissions_policy_json(r));
        else
                printf("  nothing (no permissions policy)\n");
}

static roled_status call(roled_client *client, CliCall *c, roled_error *err)
{
        return roled_get_role(client, c->operands[0], &c->role, err);
}

/* print() - the role as JSON or text, with its upstream's health when it has one. */
static int print(roled_client *client, const CliCall *c)
{
        json_t *upstream = upstream_of(client, c->role);
        int r;

        if (c->opts.is_json) {
                r = print_json(c->role, upstream);
        } else {
                print_text(c->role, upstream);
                r = fflush(stdout) == 0 ? EXIT_OK : EXIT_DENIED;
        }
        json_decref(upstream);
        return r;
}

const CliCommand cli_cmd_explain = {
        /* `rolectl explain ROLE --json` as well as `--json ROLE`. */
        .options = CLI_OPT_JSON | CLI_OPT_ONE_ROLE,
        .call = call,
        .use = print,
};
