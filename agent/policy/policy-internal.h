/* SPDX-License-Identifier: MIT */
/*
 * policy-internal.h - the compiled form shared by the policy module's files:
 * the arena every compiled policy lives in, patterns, conditions, principals
 * and statements. Nothing outside agent/policy/ includes this.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"
#include "array.h"
#include "util.h"

/* Arena: a compiled policy is one arena, freed at once. */
typedef struct ArenaChunk ArenaChunk;
typedef struct Arena {
        ArenaChunk *head;
} Arena;

void *arena_alloc(Arena *a, size_t size);
char *arena_strndup(Arena *a, const char *s, size_t len);
char *arena_strdup(Arena *a, const char *s);
void arena_release(Arena *a);
/* arena_bytes() - heap bytes the arena holds (its chunks, headers included). */
size_t arena_bytes(const Arena *a);

/*
 * A template: literal text interleaved with policy variables. Literal parts are
 * already in the target syntax (glob-escaped for globs: `\*`, `\?`, `\\` are
 * literal characters).
 */
typedef struct TplPart {
        const char *lit; /* NULL for a variable part */
        uint32_t lit_len;
        const char *key; /* variable key */
        const char *def; /* default value, NULL if none */
} TplPart;

enum {
        PAT_ANY,     /* "*" */
        PAT_LITERAL, /* no wildcard, no variable: compare bytes */
        PAT_GLOB,    /* wildcards, no variable */
        PAT_VAR,     /* has variables: expand, then glob or compare */
};

#define ARN_SEGS 6

typedef struct ArnSplit {
        uint8_t n;
        uint32_t off[ARN_SEGS], len[ARN_SEGS];
} ArnSplit;

/*
 * What glob_match_info() needs to know of a pattern before it looks at a
 * subject: the bytes any match needs (one per literal or `?`), and where the
 * first and last unescaped `*` are (first == SIZE_MAX: none).
 */
typedef struct GlobInfo {
        size_t min, first, last;
} GlobInfo;

typedef struct Pattern {
        uint8_t kind;
        bool is_glob;     /* text is glob syntax (escapes), not a literal */
        bool has_svc;     /* action patterns: literal service prefix hashed in svc_hash */
        const char *text; /* NUL-terminated; NULL for PAT_VAR */
        uint32_t len;
        uint32_t svc_hash;
        ArnSplit arn;  /* for non-variable resource/ARN patterns */
        GlobInfo glob; /* for PAT_GLOB */
        const TplPart *parts;
        uint32_t n_parts;
} Pattern;

enum {
        OP_STR_EQ,
        OP_STR_EQ_IC,
        OP_STR_LIKE,
        OP_NUM_EQ,
        OP_NUM_LT,
        OP_NUM_LE,
        OP_NUM_GT,
        OP_NUM_GE,
        OP_DATE_EQ,
        OP_DATE_LT,
        OP_DATE_LE,
        OP_DATE_GT,
        OP_DATE_GE,
        OP_BOOL,
        OP_BINARY,
        OP_IP,
        OP_ARN,
        OP_NULL,
};

enum {
        SET_NONE,
        SET_ANY,
        SET_ALL,
};

typedef struct CondValue {
        Pattern pat;    /* string, bool, ARN */
        double num;     /* numeric */
        int64_t date;   /* milliseconds since the epoch */
        bool flag;      /* Null, Bool */
        uint8_t family; /* IP: 4 or 6 */
        uint8_t prefix;
        uint8_t addr[16];
        const uint8_t *bin;
        size_t bin_len;
} CondValue;

typedef struct Condition {
        uint8_t op;
        uint8_t set;
        bool is_negated;
        bool if_exists;
        const char *key;
        const CondValue *values;
        uint32_t n_values;
} Condition;

enum {
        PR_NEVER,
        PR_ANY,
        PR_AWS_ARN,
        PR_AWS_ACCOUNT,
        PR_USER,
        PR_UID,
        PR_GROUP,
        PR_GID,
        PR_EXE,
        PR_EXE_SHA256,
        PR_UNIT,
        PR_ROLE,
};

typedef struct Principal {
        uint8_t kind;
        const char *value;
        uint32_t lo, hi;
} Principal;

typedef struct Statement {
        bool is_deny;
        bool is_not_action;
        bool has_resource;
        bool is_not_resource;
        bool has_principal;
        bool is_not_principal;
        const char *sid;
        const Pattern *actions;
        uint32_t n_actions;
        const Pattern *resources;
        uint32_t n_resources;
        const Principal *principals;
        uint32_t n_principals;
        const Condition *conds;
        uint32_t n_conds;
} Statement;

enum {
        VERSION_NONE,
        VERSION_2008,
        VERSION_2012,
};

struct Policy {
        Arena arena;
        const char *name;
        int version;
        const Statement *statements;
        size_t n_statements;
        const char **keys; /* lower-cased keys evaluation may read */
        size_t n_keys;
};

/*
 * The work one decision has spent matching, in units of about a nanosecond
 * of this engine's slowest per-byte loops (a byte through a character loop,
 * a word of a bitset, eight bytes through memcmp() or memmem()). Matching
 * charges before it works, and once the meter passes POLICY_WORK_MAX every
 * match answers false at once; policy_evaluate() then refuses the decision
 * (POLICY_E_WORK_LIMIT), so nothing decided past the limit is ever used.
 * A NULL meter never runs out (tests, lint).
 */
typedef struct Work {
        uint64_t spent;
} Work;

/* work_charge() - add @units; false when the meter has run out. */
static inline bool work_charge(Work *w, uint64_t units)
{
        if (!w)
                return true;
        w->spent += units;
        return w->spent <= POLICY_WORK_MAX;
}

static inline bool work_out(const Work *w)
{
        return w && w->spent > POLICY_WORK_MAX;
}

/* match.c */
bool glob_match(const char *p, size_t plen, const char *s, size_t slen, Work *w);
void glob_info(const char *p, size_t plen, GlobInfo *gi);
bool glob_match_info(const char *p, size_t plen, const GlobInfo *gi, const char *s, size_t slen,
                     Work *w);
void arn_split(const char *s, size_t len, ArnSplit *out);
bool arn_match(const char *p, size_t plen, const ArnSplit *ps, const char *s, const ArnSplit *ss,
               Work *w);
uint32_t svc_hash(const char *s, size_t len);

/* The evaluation-time view of one request. */
typedef struct Request {
        const char *action; /* lower-cased */
        size_t action_len;
        uint32_t svc_hash;
        const char *resource;
        size_t resource_len;
        ArnSplit rsplit;
        const PolicyContext *ctx;
        Work *work;
} Request;

/* context.c */
typedef struct CtxEntry {
        char *key;
        uint32_t hash; /* of the key, case-folded (context.c's index) */
        bool is_attested;
        bool is_set; /* given as a set (policy_context_set() with a NULL value) */
        char **values;
        size_t n_values;
        size_t size_values;
} CtxEntry;

const CtxEntry *context_find(const PolicyContext *ctx, const char *key);

/*
 * context_is_multivalued() - is @e a multivalued key? The documented ones
 * (aws:TagKeys, aws:CalledVia, ..., roled:groups, roled:gids) always are;
 * any other key is when it was given as a set or holds more than one value.
 */
bool context_is_multivalued(const CtxEntry *e);

/*
 * expand() - expand a template into buf; @is_glob escapes `*`, `?` and `\` in
 * substituted values. Return: 0; 1 when a variable has no value and no
 * default; -E2BIG when the result does not fit.
 */
int expand(const Pattern *pat, const PolicyContext *ctx, char *buf, size_t size, size_t *lenp);

/* Does pattern @pat (a resource or ARN pattern) match @s? */
bool pattern_match_arn(const Pattern *pat, const PolicyContext *ctx, const char *s, size_t slen,
                       const ArnSplit *ss, Work *w);

/* condition.c */
int condition_op_lookup(const char *name, uint8_t *opp, uint8_t *setp, bool *negatedp,
                        bool *if_existsp);
bool condition_eval(const Condition *c, const PolicyContext *ctx, Work *w);
int parse_date(const char *s, int64_t *msp);
int parse_number(const char *s, double *vp);
int parse_cidr(const char *s, uint8_t *familyp, uint8_t addr[16], uint8_t *prefixp);

/* parse.c, shared with lint.c */
int json_depth_ok(const char *json, size_t len);
