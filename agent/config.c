/* SPDX-License-Identifier: MIT */
/*
 * config.c - load roled.ini and roles.d/NAME.ini into a Config: safe, bounded
 * file reads, a line pre-scan (sections, line numbers, lengths) and inih for
 * the key = value pairs, then whole-configuration checks (unique names, known
 * chained roles) and derived values (ARN, role id). The only file that
 * includes <ini.h>; the syntax and trust semantics are documented in
 * config.h. Policy text is checked to be JSON here and compiled elsewhere.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <jansson.h>
#include <limits.h>
#include <pwd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "duration.h"
#include "proto.h"
#include "safefile.h"
#include "names.h"
#include "token.h"
#include "util.h"

#ifndef ROLED_SYSCONFDIR
#define ROLED_SYSCONFDIR "/etc/roled"
#endif
#ifndef ROLED_RUNDIR
#define ROLED_RUNDIR "/run/roled"
#endif

#ifndef ROLED_STATEDIR
#define ROLED_STATEDIR "/var/lib/roled"
#endif
#define DEFAULT_ACCOUNT "000000000000"
#define DESCRIPTION_MAX 1000 /* IAM's limit */
#define UNIT_NAME_MAX 255
#define SOCKET_PATH_MAX 107 /* sun_path less the NUL */

typedef enum FileKind {
        FILE_AGENT,
        FILE_ROLE,
} FileKind;

/* Where each role's chained-role lists were written, for the final check. */
typedef struct RoleLines {
        unsigned trust_roles;
        unsigned default_roles;
        unsigned aws;        /* first key of [aws] */
        unsigned aws_policy; /* [aws] session_policy */
} RoleLines;

typedef struct Parser {
        const char *file;   /* the file being parsed, for messages */
        const char *folder; /* its folder, for relative policy paths */
        FileKind kind;
        uid_t agent_uid;
        Config *config;
        Role *role;          /* FILE_ROLE: the role being filled */
        RoleLines *lines;    /* FILE_ROLE: its RoleLines */
        unsigned *key_lines; /* line of the n-th key = value line (inih gives no line numbers) */
        size_t n_key_lines;
        size_t next_key;
        unsigned seen;     /* [agent] or [role] keys set in this file, by KeyRule */
        unsigned seen_aws; /* [aws] keys set in this file, by KeyRule */
        int error;         /* first CONFIG_E_* or -errno */
        ConfigError *err;
} Parser;

_printf_(4, 5) static int set_error(ConfigError *err, const char *file, unsigned line,
                                    const char *fmt, ...)
{
        va_list ap;

        snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
        err->line = line;
        va_start(ap, fmt);
        (void)vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
        return CONFIG_E_INVALID;
}

/* The folder part of @path ("." when there is none), newly allocated. */
static char *folder_of(const char *path)
{
        const char *slash = strrchr(path, '/');

        if (!slash)
                return strdup(".");
        if (slash == path)
                return strdup("/");
        return strndup(path, (size_t)(slash - path));
}

/*
 * Configuration and its folders belong to root or the agent's uid and are
 * writable by no one else; @type is S_IFREG or S_IFDIR.
 */
static int check_safe(const struct stat *st, mode_t type, uid_t agent_uid, const char *path,
                      ConfigError *err)
{
        const SafeFileRule rule = {
                .type = type, .owner = agent_uid, .is_root_ok = true, .forbidden = S_IWGRP | S_IWOTH
        };

        switch (safefile_check(st, &rule)) {
        case 0:
                return 0;
        case SAFEFILE_E_TYPE:
                return set_error(
                        err, path, 0,
                        type == S_IFDIR ? "%s is not a folder" : "%s is not a regular file", path);
        case SAFEFILE_E_OWNER:
                set_error(err, path, 0,
                          "refusing %s: owned by uid %u, not root or the agent's uid %u", path,
                          (unsigned)st->st_uid, (unsigned)agent_uid);
                return CONFIG_E_UNSAFE;
        default:
                set_error(err, path, 0, "refusing %s: writable by group or others (mode %04o)",
                          path, (unsigned)(st->st_mode & 07777));
                return CONFIG_E_UNSAFE;
        }
}

/* A folder holding configuration must be as safe as the files: whoever can write it can swap them.
 */
static int check_folder(const char *path, uid_t agent_uid, ConfigError *err)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return set_error(err, path, 0, "cannot access folder %s: %s", path,
                                 strerror(errno));
        return check_safe(&st, S_IFDIR, agent_uid, path, err);
}

/*
 * Read the regular file @path (at most @max bytes) after checking its owner
 * and mode, and its folder's. The text is NUL-terminated; *@lenp excludes the NUL.
 */
static int read_safe(const char *path, size_t max, uid_t agent_uid, char **textp, size_t *lenp,
                     ConfigError *err)
{
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *buf = NULL, *folder = NULL;
        struct stat st;
        size_t len = 0, cap;
        int r;

        folder = folder_of(path);
        if (!folder)
                return -ENOMEM;
        r = check_folder(folder, agent_uid, err);
        if (r != 0)
                return r;

        /* O_NONBLOCK: a FIFO planted under a config name must not hang the agent. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return set_error(err, path, 0, "cannot open %s: %s", path, strerror(errno));
        if (fstat(fd, &st) < 0)
                return -errno;
        r = check_safe(&st, S_IFREG, agent_uid, path, err);
        if (r != 0)
                return r;
        if (st.st_size < 0 || (uint64_t)st.st_size > max)
                return set_error(err, path, 0, "%s is larger than %zu bytes", path, max);

        /*
         * The buffer fits the size fstat() gave, not @max: a 1 MiB buffer per
         * file read cost a fresh mapping each time. A file longer than it said
         * (growing, or a filesystem without sizes) is read again up to @max.
         */
        cap = (size_t)st.st_size;
        for (;;) {
                buf = malloc(cap + 1);
                if (!buf)
                        return -ENOMEM;
                r = safefile_read(fd, buf, cap, &len);
                if (r != SAFEFILE_E_TOO_LARGE || cap == max)
                        break;
                free(buf);
                buf = NULL;
                if (lseek(fd, 0, SEEK_SET) < 0)
                        return set_error(err, path, 0, "cannot read %s: %s", path, strerror(errno));
                cap = max;
        }
        if (r == SAFEFILE_E_TOO_LARGE)
                return set_error(err, path, 0, "%s is larger than %zu bytes", path, max);
        if (r < 0)
                return set_error(err, path, 0, "cannot read %s: %s", path, strerror(-r));
        buf[len] = '\0';
        *textp = steal_pointer(&buf);
        *lenp = len;
        return 0;
}

/* "1048576", "512K", "64M", "1G": bytes, binary units. */
static int parse_size(const char *s, uint64_t *sizep)
{
        uint64_t v = 0, unit = 1;
        const char *p = s;

        if (*p < '0' || *p > '9')
                return -EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (v > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t)(*p - '0');
        }
        if (*p == 'K' || *p == 'k')
                unit = 1024;
        else if (*p == 'M' || *p == 'm')
                unit = 1024 * 1024;
        else if (*p == 'G' || *p == 'g')
                unit = 1024 * 1024 * 1024;
        else if (*p)
                return -EINVAL;
        if (*p && p[1])
                return -EINVAL;
        if (v > UINT64_MAX / unit)
                return -ERANGE;
        *sizep = v * unit;
        return 0;
}

static int config_alloc(Config **configp)
{
        Config *c = calloc(1, sizeof(*c));

        if (!c)
                return -ENOMEM;
        strcpy(c->account, DEFAULT_ACCOUNT);
        c->max_connections_per_uid = 64;
        c->max_sessions_per_uid = 10000;
        c->exe_hash_max_size = CONFIG_EXE_HASH_MAX_DEFAULT;
        c->session_policy_bytes_max = CONFIG_SESSION_POLICY_BYTES_DEFAULT;
        c->session_policy_uid_bytes_max = CONFIG_SESSION_POLICY_UID_BYTES_DEFAULT;
        c->log_level = CONFIG_LOG_INFO;
        c->default_duration = PROTO_DURATION_DEFAULT;
        *configp = c;
        return 0;
}

bool config_role_name_valid(const char *name, size_t len)
{
        return name_valid(name, len, 1, CONFIG_ROLE_NAME_MAX, NAME_IAM_EXTRA);
}

/* The log_level names and syslog priorities (log.h's LOG_LEVELS), indexed by ConfigLogLevel. */
static const struct {
        const char *name;
        int priority;
} log_levels[] = {
#define CONFIG_X_LEVEL(e, priority, name) [CONFIG_LOG_##e] = { name, LOG_LEVEL_##e },
        LOG_LEVELS(CONFIG_X_LEVEL)
#undef CONFIG_X_LEVEL
};

int config_log_level_priority(ConfigLogLevel level)
{
        return (size_t)level < ELEMENTSOF(log_levels) ? log_levels[level].priority : LOG_LEVEL_INFO;
}

const Role *config_find_role(const Config *config, const char *name, size_t len)
{
        for (size_t i = 0; i < config->n_roles; i++) {
                const Role *r = &config->roles[i];

                if (strlen(r->name) == len && strncasecmp(r->name, name, len) == 0)
                        return r;
        }
        return NULL;
}

/* Role id: "AROA" and 17 base32 characters of SHA-256(name). */
static void make_role_id(const char *name, char out[CONFIG_ROLE_ID_LEN + 1])
{
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        uint8_t h[crypto_hash_sha256_BYTES];
        unsigned bits = 0, nbits = 0;
        size_t o = 4, i = 0;

        crypto_hash_sha256(h, (const unsigned char *)name, strlen(name));
        memcpy(out, "AROA", 4);
        while (o < CONFIG_ROLE_ID_LEN) {
                if (nbits < 5) {
                        bits = (bits << 8) | h[i++];
                        nbits += 8;
                }
                out[o++] = alphabet[(bits >> (nbits - 5)) & 31];
                nbits -= 5;
        }
        out[o] = '\0';
}

static int finish_role(Role *r, const char *account)
{
        make_role_id(r->name, r->role_id);
        /* An aws role is the IAM role it maps to. */
        if (r->issuer == ROLE_ISSUER_AWS)
                return (r->arn = strdup(r->aws.role_arn)) ? 0 : -ENOMEM;
        if (asprintf(&r->arn, "arn:aws:iam::%s:role%s%s", account, r->path, r->name) < 0) {
                r->arn = NULL;
                return -ENOMEM;
        }
        return 0;
}

int config_new_default(uid_t uid, Config **configp)
{
        _cleanup_(config_freep) Config *c = NULL;
        Role *r;
        int res;

        res = config_alloc(&c);
        if (res < 0)
                return res;
        c->is_default_embedded = true;
        c->roles = calloc(1, sizeof(*c->roles));
        if (!c->roles)
                return -ENOMEM;
        c->n_roles = 1;
        r = &c->roles[0];
        r->name = strdup("default");
        r->description = strdup("Embedded default role");
        r->path = strdup("/");
        r->trust.uids = calloc(1, sizeof(IdRange));
        r->defaults.uids = calloc(1, sizeof(IdRange));
        if (!r->name || !r->description || !r->path || !r->trust.uids || !r->defaults.uids)
                return -ENOMEM;
        r->trust.uids[0] = (IdRange){ uid, uid };
        r->trust.n_uids = 1;
        r->defaults.uids[0] = (IdRange){ uid, uid };
        r->defaults.n_uids = 1;
        r->max_session_duration = PROTO_DURATION_MAX;
        r->issuer = ROLE_ISSUER_LOCAL;
        res = finish_role(r, c->account);
        if (res < 0)
                return res;
        *configp = steal_pointer(&c);
        return 0;
}

/* ---- values ---------------------------------------------------------- */

static int push_str(char ***arrp, size_t *np, const char *s, size_t len)
{
        char **a = realloc(*arrp, (*np + 1) * sizeof(*a));

        if (!a)
                return -ENOMEM;
        *arrp = a;
        a[*np] = strndup(s, len);
        if (!a[*np])
                return -ENOMEM;
        (*np)++;
        return 0;
}

static bool parse_u32(const char *s, size_t len, uint32_t *vp)
{
        uint64_t v = 0;

        if (len == 0 || len > 10)
                return false;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                v = v * 10 + (uint64_t)(s[i] - '0');
        }
        if (v > UINT32_MAX)
                return false;
        *vp = (uint32_t)v;
        return true;
}

/* "N" or "N-M", N <= M, never (uint32_t)-1 (the kernel's "no id"). */
static bool parse_range(const char *s, size_t len, IdRange *rp)
{
        const char *dash = memchr(s, '-', len);
        IdRange r;

        if (dash) {
                if (!parse_u32(s, (size_t)(dash - s), &r.lo) ||
                    !parse_u32(dash + 1, len - (size_t)(dash - s) - 1, &r.hi))
                        return false;
        } else {
                if (!parse_u32(s, len, &r.lo))
                        return false;
                r.hi = r.lo;
        }
        if (r.lo > r.hi || r.hi == UINT32_MAX)
                return false;
        *rp = r;
        return true;
}

/* User and group names: printable ASCII, none of the list separators or ':' */
static bool unix_name_valid(const char *s, size_t len)
{
        if (len == 0 || len > 255)
                return false;
        for (size_t i = 0; i < len; i++)
                if (s[i] <= ' ' || s[i] > '~' || s[i] == ':' || s[i] == ',')
                        return false;
        return true;
}

/* Paths must be absolute and canonical: they are resolved in the agent's namespace (exerule.c) and
 * shown in roled:exe. */
static bool exe_valid(const char *s, size_t len)
{
        if (len < 2 || len >= PATH_MAX || s[0] != '/' || s[len - 1] == '/')
                return false;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '\0')
                        return false;
                if (s[i] == '/' && i + 1 < len) {
                        const char *c = s + i + 1;
                        size_t rest = len - i - 1;

                        if (c[0] == '/')
                                return false;
                        if (c[0] == '.' && (rest == 1 || c[1] == '/'))
                                return false;
                        if (c[0] == '.' && c[1] == '.' && (rest == 2 || c[2] == '/'))
                                return false;
                }
        }
        return true;
}

static bool unit_valid(const char *s, size_t len)
{
        static const char *const suffixes[] = { ".service", ".scope", ".socket", ".mount",
                                                ".swap" };
        bool ok = false;

        if (len > 5 && memcmp(s, "user:", 5) == 0) {
                s += 5;
                len -= 5;
        }
        if (len == 0 || len > UNIT_NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = s[i];

                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      strchr(":_.\\@-", c)) ||
                    c == '\0')
                        return false;
        }
        for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
                size_t sl = strlen(suffixes[i]);

                if (len > sl && memcmp(s + len - sl, suffixes[i], sl) == 0)
                        ok = true;
        }
        return ok;
}

static bool hex_digest(const char *s, size_t len, uint8_t out[32])
{
        size_t bin_len;

        if (len != 64)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
                      (s[i] >= 'A' && s[i] <= 'F')))
                        return false;
        return sodium_hex2bin(out, 32, s, len, NULL, &bin_len, NULL) == 0 && bin_len == 32;
}

/* One entry of a selector list; @line for messages. */
static int add_selector(Parser *p, unsigned line, TrustRules *t, const char *section,
                        const char *key, const char *s, size_t len)
{
        if (streq(key, "users")) {
                if (len == 1 && s[0] == '*') {
                        t->is_any_user = true;
                        return 0;
                }
                if (!unix_name_valid(s, len))
                        goto invalid;
                return push_str(&t->users, &t->n_users, s, len);
        }
        if (streq(key, "groups")) {
                if (!unix_name_valid(s, len))
                        goto invalid;
                return push_str(&t->groups, &t->n_groups, s, len);
        }
        if (streq(key, "uids") || streq(key, "gids")) {
                bool is_uid = key[0] == 'u';
                IdRange **arr = is_uid ? &t->uids : &t->gids;
                size_t *n = is_uid ? &t->n_uids : &t->n_gids;
                IdRange r, *a;

                if (!parse_range(s, len, &r))
                        goto invalid;
                a = realloc(*arr, (*n + 1) * sizeof(*a));
                if (!a)
                        return -ENOMEM;
                a[(*n)++] = r;
                *arr = a;
                return 0;
        }
        if (streq(key, "exe")) {
                if (!exe_valid(s, len))
                        return p->error = set_error(
                                       p->err, p->file, line,
                                       "[%s] exe: '%.*s' is not an absolute, canonical path",
                                       section, (int)len, s);
                return push_str(&t->exes, &t->n_exes, s, len);
        }
        if (streq(key, "exe_sha256")) {
                uint8_t d[32];
                uint8_t(*a)[32];

                if (!hex_digest(s, len, d))
                        return p->error = set_error(p->err, p->file, line,
                                                    "[%s] exe_sha256: '%.*s' is not 64 hex digits",
                                                    section, (int)len, s);
                a = realloc(t->exe_sha256, (t->n_exe_sha256 + 1) * sizeof(*a));
                if (!a)
                        return -ENOMEM;
                memcpy(a[t->n_exe_sha256++], d, 32);
                t->exe_sha256 = a;
                return 0;
        }
        if (streq(key, "units")) {
                if (!unit_valid(s, len))
                        return p->error = set_error(
                                       p->err, p->file, line,
                                       "[%s] units: '%.*s' is not a unit name (.service, .scope, "
                                       ".socket, .mount, .swap; optional user: prefix)",
                                       section, (int)len, s);
                return push_str(&t->units, &t->n_units, s, len);
        }
        if (streq(key, "roles")) {
                if (!config_role_name_valid(s, len))
                        goto invalid;
                if (streq(section, "trust"))
                        p->lines->trust_roles = line;
                else
                        p->lines->default_roles = line;
                return push_str(&t->roles, &t->n_roles, s, len);
        }
        return p->error = set_error(p->err, p->file, line, "[%s] unknown key '%s'", section, key);

invalid:
        return p->error = set_error(p->err, p->file, line, "[%s] %s: invalid entry '%.*s'", section,
                                    key, (int)len, s);
}

static int add_selectors(Parser *p, unsigned line, TrustRules *t, const char *section,
                         const char *key, const char *value)
{
        static const char *const keys[] = { "users", "groups",     "uids",  "gids",
                                            "exe",   "exe_sha256", "units", "roles" };
        bool known = false, any = false;
        const char *s = value;

        if (streq(key, "exe_foreign_namespaces")) {
                if (streq(value, "true") || streq(value, "yes"))
                        t->is_exe_foreign_ns_allowed = true;
                else if (streq(value, "false") || streq(value, "no"))
                        t->is_exe_foreign_ns_allowed = false;
                else
                        return p->error = set_error(
                                       p->err, p->file, line,
                                       "[%s] exe_foreign_namespaces: '%s' is not true or false",
                                       section, value);
                return 0;
        }

        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (streq(key, keys[i]))
                        known = true;
        if (!known)
                return p->error = set_error(p->err, p->file, line, "[%s] unknown key '%s'", section,
                                            key);

        for (;;) {
                size_t len;
                int r;

                s += strspn(s, ", \t");
                len = strcspn(s, ", \t");
                if (len == 0)
                        break;
                r = add_selector(p, line, t, section, key, s, len);
                if (r != 0)
                        return r;
                any = true;
                s += len;
        }
        if (!any)
                return p->error = set_error(p->err, p->file, line, "[%s] %s: empty list", section,
                                            key);
        return 0;
}

/* Load a policy document named by @value (relative to the INI file's folder) and check it is a JSON
 * object. */
static int load_policy(Parser *p, unsigned line, const char *key, const char *value, char **textp,
                       size_t *lenp, char **pathp)
{
        _cleanup_free_ char *path = NULL, *text = NULL;
        ConfigError inner;
        json_error_t jerr;
        json_t *doc;
        size_t len;
        int r;

        if (!*value)
                return p->error = set_error(p->err, p->file, line, "%s: empty path", key);
        if (value[0] == '/')
                path = strdup(value);
        else if (asprintf(&path, "%s/%s", p->folder, value) < 0)
                path = NULL;
        if (!path)
                return -ENOMEM;

        memset(&inner, 0, sizeof(inner));
        r = read_safe(path, CONFIG_POLICY_MAX, p->agent_uid, &text, &len, &inner);
        if (r < 0)
                return r;
        if (r > 0) {
                set_error(p->err, p->file, line, "%s: %s", key, inner.message);
                return p->error = r;
        }
        doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!doc)
                return p->error = set_error(p->err, p->file, line, "%s: %s:%d: invalid JSON: %s",
                                            key, path, jerr.line, jerr.text);
        if (!json_is_object(doc)) {
                json_decref(doc);
                return p->error = set_error(p->err, p->file, line, "%s: %s: not a JSON object", key,
                                            path);
        }
        json_decref(doc);
        *textp = steal_pointer(&text);
        *lenp = len;
        *pathp = steal_pointer(&path);
        return 0;
}

/* inih's convention: non-zero means "go on". Errors are kept in the Parser. */
/* IAM tag characters, ASCII subset: letters, digits, space and _ . : / = + - @ */
static bool tag_text_valid(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++) {
                char c = s[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == ' ' || strchr("_.:/=+-@", c)))
                        return false;
        }
        return true;
}

/* [tags] KEY = VALUE: the role's IAM tags, for aws:PrincipalTag/KEY in policies. */
static int add_tag(Parser *p, unsigned line, const char *key, const char *value)
{
        Role *r = p->role;
        size_t klen = strlen(key), vlen = strlen(value);
        char **keys, **values;

        if (klen == 0 || klen > 128 || !tag_text_valid(key, klen))
                return p->error = set_error(p->err, p->file, line,
                                            "[tags] key '%s' must be 1..128 characters of "
                                            "[A-Za-z0-9 _.:/=+@-]",
                                            key);
        if (vlen > 256 || !tag_text_valid(value, vlen))
                return p->error = set_error(p->err, p->file, line,
                                            "[tags] %s: value must be 0..256 characters of "
                                            "[A-Za-z0-9 _.:/=+@-]",
                                            key);
        for (size_t i = 0; i < r->n_tags; i++)
                if (strcasecmp(r->tag_keys[i], key) == 0)
                        return p->error = set_error(p->err, p->file, line,
                                                    "[tags] duplicate key '%s' (tag keys are "
                                                    "case-insensitive)",
                                                    key);
        if (r->n_tags == CONFIG_TAGS_MAX)
                return p->error = set_error(p->err, p->file, line, "[tags] more than %d tags",
                                            CONFIG_TAGS_MAX);
        keys = realloc(r->tag_keys, (r->n_tags + 1) * sizeof(*keys));
        if (!keys)
                return -ENOMEM;
        r->tag_keys = keys;
        values = realloc(r->tag_values, (r->n_tags + 1) * sizeof(*values));
        if (!values)
                return -ENOMEM;
        r->tag_values = values;
        keys[r->n_tags] = strdup(key);
        values[r->n_tags] = strdup(value);
        if (!keys[r->n_tags] || !values[r->n_tags]) {
                free(keys[r->n_tags]);
                free(values[r->n_tags]);
                return -ENOMEM;
        }
        r->n_tags++;
        return 0;
}

/* ---- [aws] ----------------------------------------------------------- */

static bool chars_in(const char *s, const char *extra)
{
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                      (*s >= '0' && *s <= '9') || *s == '_' || strchr(extra, *s)))
                        return false;
        return true;
}

/* sts_endpoint: https://HOST[:PORT][/], or http:// for a loopback host only (tests, proxies). */
static bool endpoint_valid(const char *s)
{
        const char *host;
        size_t len = strlen(s);

        if (len > 512 || strpbrk(s, " \t\"'\\?#@"))
                return false;
        if (strncmp(s, "https://", 8) == 0)
                return s[8] != '\0' && s[8] != '/';
        if (strncmp(s, "http://", 7) != 0)
                return false;
        host = s + 7;
        return strncmp(host, "127.", 4) == 0 || strncmp(host, "[::1]", 5) == 0 ||
               strncmp(host, "localhost", 9) == 0;
}

static bool region_valid(const char *s)
{
        size_t len = strlen(s);

        return len >= 1 && len <= 32 && chars_in(s, "-");
}

/* arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME */
static bool role_arn_valid(const char *s)
{
        const char *p;
        size_t len = strlen(s);

        if (len < 20 || len > 2048 || strncmp(s, "arn:", 4) != 0)
                return false;
        p = strchr(s + 4, ':');
        if (!p || strncmp(p, ":iam::", 6) != 0)
                return false;
        p += 6;
        if (strspn(p, "0123456789") != CONFIG_ACCOUNT_LEN ||
            strncmp(p + CONFIG_ACCOUNT_LEN, ":role/", 6) != 0)
                return false;
        p += CONFIG_ACCOUNT_LEN + 6;
        return *p && p[strlen(p) - 1] != '/' && chars_in(p, "+=,.@-/");
}

static bool iam_path_valid(const char *s)
{
        size_t len = strlen(s);

        if (len < 1 || len > CONFIG_ROLE_PATH_MAX || s[0] != '/' || s[len - 1] != '/')
                return false;
        for (size_t i = 0; i < len; i++)
                if (s[i] < 0x21 || s[i] > 0x7e)
                        return false;
        return true;
}

/* ---- scalar keys of [agent], [role] and [aws] ----------------------------- */

#define STR_(x) #x
#define STR(x) STR_(x)

static bool is_absolute(const char *s)
{
        return s[0] == '/';
}

static bool socket_valid(const char *s)
{
        return s[0] == '/' && strlen(s) <= SOCKET_PATH_MAX;
}

static bool account_valid(const char *s)
{
        return strlen(s) == CONFIG_ACCOUNT_LEN && strspn(s, "0123456789") == CONFIG_ACCOUNT_LEN;
}

static bool prewarm_exe_valid(const char *s)
{
        return s[0] == '/' || s[0] == '\0';
}

static bool role_name_valid(const char *s)
{
        return config_role_name_valid(s, strlen(s));
}

static bool description_valid(const char *s)
{
        return strlen(s) <= DESCRIPTION_MAX;
}

static bool profile_valid(const char *s)
{
        size_t len = strlen(s);

        return len >= 1 && len <= 64 && chars_in(s, "-.@+");
}

static bool mfa_serial_valid(const char *s)
{
        size_t len = strlen(s);

        return len >= 9 && len <= 256 && chars_in(s, "+=/:,.@-");
}

static bool mfa_process_valid(const char *s)
{
        return s[0] == '/' && strlen(s) <= 1024;
}

static bool external_id_valid(const char *s)
{
        size_t len = strlen(s);

        return len >= 2 && len <= 1224 && chars_in(s, "+=,.@:/-");
}

static int set_str(char **dst, const char *value)
{
        char *s = strdup(value);

        if (!s)
                return -ENOMEM;
        free(*dst);
        *dst = s;
        return 0;
}

/* How a key's value is read. */
typedef enum KeyKind {
        KEY_STR,      /* a string .is_valid accepts, kept as a copy */
        KEY_U32,      /* decimal, .min..max */
        KEY_SIZE,     /* bytes, or K, M, G (parse_size()), .min..max */
        KEY_DURATION, /* a duration (duration.h), .min..max seconds */
        KEY_OWN,      /* .parse reads it (after .is_valid, when there is one) */
} KeyKind;

/*
 * One key: where its value goes and how a bad one is refused, with
 * "KEY: 'VALUE' WHAT", or "KEY: WHAT" when !is_value_shown.
 */
typedef struct KeyRule {
        const char *name;
        KeyKind kind;
        size_t offset; /* of the field in the section's struct */
        bool (*is_valid)(const char *value);
        uint64_t min, max;
        bool is_value_shown;
        const char *what;
        int (*parse)(Parser *p, unsigned line, const char *key, const char *value, void *field);
} KeyRule;

/* The keys of one section, and how duplicates are found. */
typedef struct KeySection {
        const char *name; /* for messages */
        const KeyRule *rules;
        size_t n_rules;
        /*
         * [agent] and [role] refuse a duplicate key before reading its value;
         * [aws] reads the value first, and its KEY_OWN keys find their own
         * duplicates (imds may be repeated).
         */
        bool is_value_first;
} KeySection;

static int copy_account(Parser *p, unsigned line, const char *key, const char *value, void *field)
{
        strcpy(field, value);
        return 0;
}

static int parse_log_level(Parser *p, unsigned line, const char *key, const char *value,
                           void *field)
{
        for (size_t i = 0; i < ELEMENTSOF(log_levels); i++)
                if (streq(value, log_levels[i].name)) {
                        *(ConfigLogLevel *)field = (ConfigLogLevel)i;
                        return 0;
                }
        return p->error = set_error(p->err, p->file, line,
                                    "log_level: '%s' is not error, warning, info or debug", value);
}

static int parse_issuer(Parser *p, unsigned line, const char *key, const char *value, void *field)
{
        if (streq(value, "local"))
                *(RoleIssuer *)field = ROLE_ISSUER_LOCAL;
        else if (streq(value, "aws"))
                *(RoleIssuer *)field = ROLE_ISSUER_AWS;
        else
                return p->error = set_error(p->err, p->file, line,
                                            "issuer: '%s' is not 'local' or 'aws'", value);
        return 0;
}

static int parse_permissions(Parser *p, unsigned line, const char *key, const char *value,
                             void *field)
{
        Role *r = p->role;

        return load_policy(p, line, key, value, &r->permissions, &r->permissions_len,
                           &r->permissions_path);
}

static int parse_trust_policy(Parser *p, unsigned line, const char *key, const char *value,
                              void *field)
{
        Role *r = p->role;

        return load_policy(p, line, key, value, &r->trust_policy, &r->trust_policy_len,
                           &r->trust_policy_path);
}

static int parse_imds(Parser *p, unsigned line, const char *key, const char *value, void *field)
{
        ConfigAws *a = &p->config->aws;

        if (!streq(value, "off") && !streq(value, "on"))
                return p->error = set_error(p->err, p->file, line, "imds: '%s' is not on or off",
                                            value);
        *(bool *)field = streq(value, "on");
        /* The last one counts; where it is written is for configcheck's warning. */
        free(a->imds_at);
        a->imds_at = NULL;
        if (a->imds && asprintf(&a->imds_at, "%s:%u", p->file, line) < 0) {
                a->imds_at = NULL;
                return -ENOMEM;
        }
        return 0;
}

/* A role's claim_exe: true|yes or false|no. */
static int parse_claim_exe(Parser *p, unsigned line, const char *key, const char *value,
                           void *field)
{
        if (streq(value, "true") || streq(value, "yes"))
                *(bool *)field = true;
        else if (streq(value, "false") || streq(value, "no"))
                *(bool *)field = false;
        else
                return p->error = set_error(p->err, p->file, line, "%s: '%s' is not true or false",
                                            key, value);
        return 0;
}

static int parse_session_policy(Parser *p, unsigned line, const char *key, const char *value,
                                void *field)
{
        RoleAws *a = field;

        if (p->lines->aws_policy)
                return p->error = set_error(p->err, p->file, line, "[aws] duplicate key '%s'", key);
        p->lines->aws_policy = line;
        if (streq(value, "inherit"))
                a->session_policy = AWS_SESSION_POLICY_INHERIT;
        else if (streq(value, "none"))
                a->session_policy = AWS_SESSION_POLICY_NONE;
        else {
                a->session_policy = AWS_SESSION_POLICY_FILE;
                return load_policy(p, line, key, value, &a->policy, &a->policy_len,
                                   &a->policy_path);
        }
        return 0;
}

#define STR_KEY(type, field, check, shown, text)                                                   \
        {                                                                                          \
                .name = #field, .kind = KEY_STR, .offset = offsetof(type, field),                  \
                .is_valid = (check), .is_value_shown = (shown), .what = (text)                     \
        }
#define NUM_KEY(type, field, kind_, lo, hi, text)                                                  \
        {                                                                                          \
                .name = #field, .kind = (kind_), .offset = offsetof(type, field), .min = (lo),     \
                .max = (hi), .is_value_shown = true, .what = (text)                                \
        }
#define OWN_KEY(type, name_, field, check, text, fn)                                               \
        {                                                                                          \
                .name = (name_), .kind = KEY_OWN, .offset = offsetof(type, field),                 \
                .is_valid = (check), .is_value_shown = true, .what = (text), .parse = (fn)         \
        }

#define SIZE_TEXT(lo) "is not " lo "..4G (bytes, or K, M, G)"
#define DURATION_TEXT "is not a duration of 900s..12h"
/* The keys [aws] has in roled.ini and in a role file alike. */
#define ENDPOINT_KEYS(type)                                                                        \
        STR_KEY(type, region, region_valid, true, "is not a region name"),                         \
                STR_KEY(type, sts_endpoint, endpoint_valid, true,                                  \
                        "is not an https:// URL (http:// only for 127.0.0.0/8, [::1] or "          \
                        "localhost)")

static const KeyRule agent_rules[] = {
        STR_KEY(Config, socket, socket_valid, false,
                "must be an absolute path of at most " STR(SOCKET_PATH_MAX) " bytes"),
        OWN_KEY(Config, "account", account, account_valid, "is not 12 digits", copy_account),
        STR_KEY(Config, key_dir, is_absolute, false, "must be an absolute path"),
        NUM_KEY(Config, max_connections_per_uid, KEY_U32, 1, 65535, "is not 1..65535"),
        NUM_KEY(Config, max_sessions_per_uid, KEY_U32, 1, 10000000, "is not 1..10000000"),
        NUM_KEY(Config, exe_hash_max_size, KEY_SIZE, 1024 * 1024, CONFIG_EXE_HASH_MAX_LIMIT,
                SIZE_TEXT("1M")),
        NUM_KEY(Config, session_policy_bytes_max, KEY_SIZE, 1024 * 1024,
                CONFIG_SESSION_POLICY_BYTES_LIMIT, SIZE_TEXT("1M")),
        NUM_KEY(Config, session_policy_uid_bytes_max, KEY_SIZE, 64 * 1024,
                CONFIG_SESSION_POLICY_BYTES_LIMIT, SIZE_TEXT("64K")),
        OWN_KEY(Config, "log_level", log_level, NULL, NULL, parse_log_level),
        NUM_KEY(Config, default_duration, KEY_DURATION, PROTO_DURATION_MIN, PROTO_DURATION_MAX,
                DURATION_TEXT),
        STR_KEY(Config, login_prewarm_exe, prewarm_exe_valid, false,
                "must be an absolute path, or empty"),
};

static const KeyRule role_rules[] = {
        STR_KEY(Role, name, role_name_valid, true, "is not 1..64 characters of [A-Za-z0-9+=,.@_-]"),
        STR_KEY(Role, description, description_valid, false,
                "longer than " STR(DESCRIPTION_MAX) " bytes"),
        NUM_KEY(Role, max_session_duration, KEY_DURATION, PROTO_DURATION_MIN, PROTO_DURATION_MAX,
                DURATION_TEXT),
        OWN_KEY(Role, "issuer", issuer, NULL, NULL, parse_issuer),
        OWN_KEY(Role, "permissions", permissions, NULL, NULL, parse_permissions),
        OWN_KEY(Role, "trust_policy", trust_policy, NULL, NULL, parse_trust_policy),
        OWN_KEY(Role, "claim_exe", is_exe_claimed, NULL, NULL, parse_claim_exe),
        STR_KEY(Role, path, iam_path_valid, true,
                "must start and end with '/' (at most 512 printable characters)"),
};

static const KeyRule aws_rules[] = {
        STR_KEY(ConfigAws, credentials_file, is_absolute, false, "must be an absolute path"),
        STR_KEY(ConfigAws, profile, profile_valid, true,
                "is not 1..64 characters of [A-Za-z0-9_.@+-]"),
        OWN_KEY(ConfigAws, "imds", imds, NULL, NULL, parse_imds),
        STR_KEY(ConfigAws, ca_file, is_absolute, false, "must be an absolute path"),
        STR_KEY(ConfigAws, mfa_serial, mfa_serial_valid, true,
                "is not 9..256 characters of [\\w+=/:,.@-]"),
        STR_KEY(ConfigAws, mfa_process, mfa_process_valid, false,
                "must start with an absolute path"),
        ENDPOINT_KEYS(ConfigAws),
};

static const KeyRule role_aws_rules[] = {
        STR_KEY(RoleAws, role_arn, role_arn_valid, true, "is not arn:aws:iam::ACCOUNT:role/NAME"),
        STR_KEY(RoleAws, external_id, external_id_valid, false,
                "must be 2..1224 characters of [\\w+=,.@:/-]"),
        { .name = "session_policy", .kind = KEY_OWN, .parse = parse_session_policy },
        STR_KEY(RoleAws, source_role, role_name_valid, true, "is not a role name"),
        ENDPOINT_KEYS(RoleAws),
};

static const KeySection agent_keys = { "agent", agent_rules, ELEMENTSOF(agent_rules), false };
static const KeySection role_keys = { "role", role_rules, ELEMENTSOF(role_rules), false };
static const KeySection aws_keys = { "aws", aws_rules, ELEMENTSOF(aws_rules), true };
static const KeySection role_aws_keys = { "aws", role_aws_rules, ELEMENTSOF(role_aws_rules), true };

_Static_assert(ELEMENTSOF(agent_rules) <= 32 && ELEMENTSOF(role_rules) <= 32 &&
                       ELEMENTSOF(aws_rules) <= 32 && ELEMENTSOF(role_aws_rules) <= 32,
               "a section's keys fit in a 'seen' bit mask");

/* read_number() - the value of a KEY_U32, KEY_SIZE or KEY_DURATION key, unchecked for range. */
static bool read_number(const KeyRule *k, const char *value, uint64_t *vp)
{
        uint32_t v32;

        switch (k->kind) {
        case KEY_U32:
                if (!parse_u32(value, strlen(value), &v32))
                        return false;
                *vp = v32;
                return true;
        case KEY_SIZE:
                return parse_size(value, vp) == 0;
        default:
                if (duration_parse(value, UINT32_MAX, &v32) != 0)
                        return false;
                *vp = v32;
                return true;
        }
}

/*
 * set_key() - one key = value line of section @s into the struct at @base.
 * @seen: the keys of @s already set in this file, one bit per rule
 */
static int set_key(Parser *p, unsigned line, const KeySection *s, void *base, unsigned *seen,
                   const char *key, const char *value)
{
        const KeyRule *k = NULL;
        unsigned bit;
        void *field;
        uint64_t v = 0;

        for (size_t i = 0; i < s->n_rules && !k; i++)
                if (streq(key, s->rules[i].name))
                        k = &s->rules[i];
        if (!k)
                return p->error = set_error(p->err, p->file, line, "[%s] unknown key '%s'", s->name,
                                            key);
        bit = 1u << (k - s->rules);
        field = (char *)base + k->offset;
        if (!s->is_value_first || k->kind != KEY_OWN) {
                if (!s->is_value_first && (*seen & bit))
                        goto duplicate;
                if (k->is_valid && !k->is_valid(value))
                        goto invalid;
                if (k->kind != KEY_STR && k->kind != KEY_OWN &&
                    (!read_number(k, value, &v) || v < k->min || v > k->max))
                        goto invalid;
                if (*seen & bit)
                        goto duplicate;
                *seen |= bit;
        }
        switch (k->kind) {
        case KEY_STR:
                return set_str(field, value);
        case KEY_U32:
        case KEY_DURATION:
                *(uint32_t *)field = (uint32_t)v;
                return 0;
        case KEY_SIZE:
                *(uint64_t *)field = v;
                return 0;
        default:
                return k->parse(p, line, key, value, field);
        }

duplicate:
        return p->error = set_error(p->err, p->file, line, "[%s] duplicate key '%s'", s->name, key);
invalid:
        if (k->is_value_shown)
                return p->error =
                               set_error(p->err, p->file, line, "%s: '%s' %s", key, value, k->what);
        return p->error = set_error(p->err, p->file, line, "%s: %s", key, k->what);
}

/* has_seen() - was key @name of section @s set in this file? */
static bool has_seen(const KeySection *s, unsigned seen, const char *name)
{
        for (size_t i = 0; i < s->n_rules; i++)
                if (streq(s->rules[i].name, name))
                        return seen & (1u << i);
        return false;
}

/* free_strings() - free the KEY_STR fields of section @s in the struct at @base. */
static void free_strings(const KeySection *s, void *base)
{
        for (size_t i = 0; i < s->n_rules; i++)
                if (s->rules[i].kind == KEY_STR)
                        free(*(char **)((char *)base + s->rules[i].offset));
}

static int agent_key(Parser *p, unsigned line, const char *key, const char *value)
{
        return set_key(p, line, &agent_keys, p->config, &p->seen, key, value);
}

static int role_key(Parser *p, unsigned line, const char *key, const char *value)
{
        return set_key(p, line, &role_keys, p->role, &p->seen, key, value);
}

static int aws_key(Parser *p, unsigned line, const char *key, const char *value)
{
        p->config->aws.is_set = true;
        return set_key(p, line, &aws_keys, &p->config->aws, &p->seen_aws, key, value);
}

static int role_aws_key(Parser *p, unsigned line, const char *key, const char *value)
{
        if (!p->lines->aws)
                p->lines->aws = line;
        return set_key(p, line, &role_aws_keys, &p->role->aws, &p->seen_aws, key, value);
}

/* free_strv() - free @n strings and the array holding them. */
static void free_strv(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

static void trust_rules_done(TrustRules *t)
{
        free_strv(t->users, t->n_users);
        free_strv(t->groups, t->n_groups);
        free_strv(t->roles, t->n_roles);
        free_strv(t->exes, t->n_exes);
        free_strv(t->units, t->n_units);
        free(t->uids);
        free(t->gids);
        exerule_free(t->exe_rules);
        free(t->exe_sha256);
        memset(t, 0, sizeof(*t));
}

static void role_done(Role *r)
{
        free_strings(&role_keys, r);
        free_strings(&role_aws_keys, &r->aws);
        free(r->arn);
        free(r->permissions);
        free(r->permissions_path);
        free(r->trust_policy);
        free(r->trust_policy_path);
        free(r->file);
        trust_rules_done(&r->trust);
        trust_rules_done(&r->defaults);
        free_strv(r->tag_keys, r->n_tags);
        free_strv(r->tag_values, r->n_tags);
        free(r->aws.policy);
        free(r->aws.policy_path);
        memset(r, 0, sizeof(*r));
}

static void free_secret_str(char *s)
{
        if (s) {
                sodium_memzero(s, strlen(s));
                free(s);
        }
}

static void config_aws_done(ConfigAws *a)
{
        free_strings(&aws_keys, a);
        free(a->imds_at);
        free(a->access_key_id);
        free_secret_str(a->secret_access_key);
        free_secret_str(a->session_token);
        memset(a, 0, sizeof(*a));
}

Config *config_free(Config *config)
{
        if (!config)
                return NULL;
        for (size_t i = 0; i < config->n_roles; i++)
                role_done(&config->roles[i]);
        free(config->roles);
        free(config->path);
        free(config->folder);
        free_strings(&agent_keys, config);
        config_aws_done(&config->aws);
        free(config);
        return NULL;
}

/* The credentials file: AWS CLI INI, one [PROFILE] section; other profiles and keys are the file's
 * business. */
typedef struct CredsParse {
        const char *profile;
        ConfigAws *aws;
        bool has_profile;
        int error;
} CredsParse;

static int on_creds_key(void *user, const char *section, const char *key, const char *value)
{
        CredsParse *cp = user;
        char **dst = NULL;

        if (!streq(section, cp->profile))
                return 1;
        cp->has_profile = true;
        if (streq(key, "aws_access_key_id"))
                dst = &cp->aws->access_key_id;
        else if (streq(key, "aws_secret_access_key"))
                dst = &cp->aws->secret_access_key;
        else if (streq(key, "aws_session_token"))
                dst = &cp->aws->session_token;
        if (!dst)
                return 1;
        if (*dst) {
                free_secret_str(*dst);
                *dst = NULL;
        }
        *dst = strdup(value);
        if (!*dst) {
                cp->error = -ENOMEM;
                return 0;
        }
        return 1;
}

/*
 * Read the source credentials: the file must be a regular file owned by root
 * or the agent's uid with no group or other access at all (it holds a secret).
 */
static int load_aws_credentials(Config *c, uid_t agent_uid, ConfigError *err)
{
        ConfigAws *a = &c->aws;
        const char *path = a->credentials_file;
        char *text = NULL;
        size_t len = 0;
        struct stat st;
        CredsParse cp = { .profile = a->profile ? a->profile : "default", .aws = a };
        int r;

        if (stat(path, &st) < 0)
                return set_error(err, path, 0, "cannot access %s: %s", path, strerror(errno));
        if (S_ISREG(st.st_mode) && (st.st_mode & 077))
                return set_error(err, path, 0,
                                 "refusing %s: it holds a secret, so it must be mode 0600 "
                                 "(it is %04o)",
                                 path, (unsigned)(st.st_mode & 07777)),
                       CONFIG_E_UNSAFE;
        r = read_safe(path, 64 * 1024, agent_uid, &text, &len, err);
        if (r != 0)
                return r;
        r = ini_parse_string(text, on_creds_key, &cp);
        sodium_memzero(text, len);
        free(text);
        if (cp.error)
                return cp.error;
        if (r != 0)
                return set_error(err, path, r > 0 ? (unsigned)r : 0, "not an AWS credentials file");
        if (!cp.has_profile)
                return set_error(err, path, 0, "no [%s] profile", cp.profile);
        if (!a->access_key_id || !a->secret_access_key)
                return set_error(err, path, 0,
                                 "[%s] needs aws_access_key_id and aws_secret_access_key",
                                 cp.profile);
        if (strlen(a->access_key_id) < 16 || strlen(a->access_key_id) > 128 ||
            !chars_in(a->access_key_id, "") || strlen(a->secret_access_key) > 128)
                return set_error(err, path, 0,
                                 "[%s] aws_access_key_id or aws_secret_access_key is malformed",
                                 cp.profile);
        return 0;
}

void config_aws_endpoint(const Config *config, const Role *role, char *url, size_t url_size,
                         const char **regionp)
{
        const char *region = role && role->aws.region ? role->aws.region
                             : config->aws.region     ? config->aws.region
                                                      : "us-east-1";
        const char *endpoint =
                role && role->aws.sts_endpoint ? role->aws.sts_endpoint : config->aws.sts_endpoint;

        if (endpoint)
                snprintf(url, url_size, "%s", endpoint);
        else
                snprintf(url, url_size, "https://sts.%s.amazonaws.com/", region);
        *regionp = region;
}

/* Checks of aws roles against each other and roled.ini. */
static int finish_aws(Config *c, const RoleLines *lines, uid_t agent_uid, ConfigError *err)
{
        const Role *first_aws = NULL;
        int r;

        for (size_t i = 0; i < c->n_roles; i++) {
                Role *role = &c->roles[i];
                const Role *src;

                if (role->issuer != ROLE_ISSUER_AWS) {
                        if (lines[i].aws)
                                return set_error(err, role->file, lines[i].aws,
                                                 "[aws] is only for roles with issuer = aws");
                        continue;
                }
                if (!role->aws.role_arn)
                        return set_error(err, role->file, role->line,
                                         "issuer = aws needs [aws] role_arn");
                /* The STS session must never be wider than the local role. */
                if (role->aws.session_policy == AWS_SESSION_POLICY_INHERIT && !role->permissions)
                        return set_error(err, role->file, role->line,
                                         "session_policy = inherit needs permissions (the role's "
                                         "document is the STS session policy); or say "
                                         "session_policy = none");
                if (!first_aws)
                        first_aws = role;
                if (!role->aws.source_role)
                        continue;
                src = config_find_role(c, role->aws.source_role, strlen(role->aws.source_role));
                if (!src || src == role || src->issuer != ROLE_ISSUER_AWS || src->aws.source_role)
                        return set_error(err, role->file, role->line,
                                         "source_role: '%s' is not another aws role without a "
                                         "source_role of its own",
                                         role->aws.source_role);
                /* STS: a session assumed by role chaining lasts at most one hour. */
                if (role->max_session_duration > 3600)
                        role->max_session_duration = 3600;
        }
        if (first_aws && !c->aws.credentials_file && !c->aws.imds)
                return set_error(
                        err, first_aws->file, first_aws->line,
                        "issuer = aws: roled.ini has no [aws] credentials_file (the agent's own "
                        "AWS credentials) and no imds = on to call STS with");
        /* STS takes GetSessionToken only with an IAM user's long-term keys, never an instance
         * role's. */
        if (c->aws.mfa_serial && !c->aws.credentials_file)
                return set_error(err, c->path, 0,
                                 "[aws] mfa_serial needs credentials_file (an IAM "
                                 "user's keys: STS refuses GetSessionToken with an instance role's "
                                 "credentials from IMDS)");
        /* Without mfa_serial no code is ever asked for, so a process to ask for one is a mistake.
         */
        if (c->aws.mfa_process && !c->aws.mfa_serial)
                return set_error(err, c->path, 0,
                                 "[aws] mfa_process needs mfa_serial (the MFA device "
                                 "the code is for)");
        if (!c->aws.credentials_file)
                return 0;
        r = load_aws_credentials(c, agent_uid, err);
        return r;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
        Parser *p = user;
        unsigned line;
        int r;

        if (p->error)
                return 0;
        /* The pre-scan found exactly the lines inih hands us, in the same order. */
        line = p->next_key < p->n_key_lines ? p->key_lines[p->next_key] : 0;
        p->next_key++;

        if (!*section) {
                p->error = set_error(p->err, p->file, line, "key '%s' outside of a section", key);
                return 0;
        }
        if (p->kind == FILE_AGENT && streq(section, "aws"))
                r = aws_key(p, line, key, value);
        else if (p->kind == FILE_AGENT)
                r = agent_key(p, line, key, value);
        else if (streq(section, "aws"))
                r = role_aws_key(p, line, key, value);
        else if (streq(section, "role"))
                r = role_key(p, line, key, value);
        else if (streq(section, "trust"))
                r = add_selectors(p, line, &p->role->trust, section, key, value);
        else if (streq(section, "tags"))
                r = add_tag(p, line, key, value);
        else
                r = add_selectors(p, line, &p->role->defaults, section, key, value);
        if (r < 0 && !p->error)
                p->error = r;
        return p->error ? 0 : 1;
}

/* As inih looks for it: '=' or ':' before any inline comment (";" after whitespace). */
static bool has_delimiter(const char *s, size_t len)
{
        bool was_space = false;

        for (size_t i = 0; i < len; i++) {
                if (s[i] == '=' || s[i] == ':')
                        return true;
                if (was_space && s[i] == ';')
                        return false;
                was_space = s[i] == ' ' || s[i] == '\t';
        }
        return false;
}

/*
 * Check what inih would gloss over and collect line numbers: overlong lines
 * (inih would split them), indented continuation lines, NUL bytes, and
 * section names (inih reports only sections that hold keys, so an empty
 * misspelt section would otherwise pass). Every remaining line is one inih
 * hands to on_key() (or rejects itself), in order.
 */
static int prescan(Parser *p, const char *text, size_t len, unsigned *role_linep)
{
        static const char *const agent_sections[] = { "agent", "aws" };
        static const char *const role_sections[] = { "role", "trust", "default", "tags", "aws" };
        const char *const *names = p->kind == FILE_AGENT ? agent_sections : role_sections;
        size_t n_names =
                p->kind == FILE_AGENT ? ELEMENTSOF(agent_sections) : ELEMENTSOF(role_sections);
        const char *s = text, *end = text + len;
        unsigned line = 0, seen_sections = 0;

        if (memchr(text, '\0', len))
                return p->error = set_error(p->err, p->file, 0, "file contains a NUL byte");
        if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
                s += 3;

        while (s < end) {
                const char *nl = memchr(s, '\n', (size_t)(end - s));
                const char *start = s, *t = s;
                size_t ll = nl ? (size_t)(nl - s) : (size_t)(end - s), tl;

                line++;
                s = nl ? nl + 1 : end;
                if (ll > 0 && start[ll - 1] == '\r')
                        ll--;
                if (ll > CONFIG_LINE_MAX)
                        return p->error = set_error(p->err, p->file, line,
                                                    "line longer than %d bytes (repeat the key to "
                                                    "continue a list)",
                                                    CONFIG_LINE_MAX);
                while (t < start + ll && (*t == ' ' || *t == '\t'))
                        t++;
                tl = ll - (size_t)(t - start);
                if (tl == 0 || *t == ';' || *t == '#')
                        continue;
                if (t != start)
                        return p->error = set_error(p->err, p->file, line,
                                                    "indented line (continuation lines are not "
                                                    "supported; repeat the key instead)");
                if (*t == '[') {
                        const char *close = memchr(t, ']', tl);
                        size_t name_len;
                        bool known = false;

                        if (!close)
                                return p->error = set_error(p->err, p->file, line,
                                                            "section header without ']'");
                        name_len = (size_t)(close - t - 1);
                        for (size_t i = 0; i < n_names; i++) {
                                if (strlen(names[i]) != name_len ||
                                    memcmp(t + 1, names[i], name_len) != 0)
                                        continue;
                                known = true;
                                if (seen_sections & (1u << i))
                                        return p->error = set_error(p->err, p->file, line,
                                                                    "duplicate section [%s]",
                                                                    names[i]);
                                seen_sections |= 1u << i;
                                if (p->kind == FILE_ROLE && i == 0)
                                        *role_linep = line;
                        }
                        if (!known)
                                return p->error = set_error(p->err, p->file, line,
                                                            "unknown section [%.*s]", (int)name_len,
                                                            t + 1);
                        continue;
                }
                if (!has_delimiter(t, tl))
                        return p->error = set_error(p->err, p->file, line,
                                                    "syntax error (expected 'key = value')");
                unsigned *a = realloc(p->key_lines, (p->n_key_lines + 1) * sizeof(*a));

                if (!a)
                        return -ENOMEM;
                a[p->n_key_lines++] = line;
                p->key_lines = a;
        }
        return 0;
}

/* ---- files ------------------------------------------------------------ */

/* Parse one INI file into p->config (FILE_AGENT) or p->role (FILE_ROLE). */
static int parse_file(Parser *p, const char *path, unsigned *role_linep)
{
        _cleanup_free_ char *text = NULL, *folder = NULL;
        size_t len;
        int r;

        r = read_safe(path, CONFIG_INI_MAX, p->agent_uid, &text, &len, p->err);
        if (r != 0)
                return r;
        folder = folder_of(path);
        if (!folder)
                return -ENOMEM;
        p->file = path;
        p->folder = folder;
        p->seen = 0;
        p->seen_aws = 0;
        p->next_key = 0;
        p->n_key_lines = 0;

        r = prescan(p, text, len, role_linep);
        if (r != 0)
                return r;
        r = ini_parse_string(text, on_key, p);
        if (p->error)
                return p->error;
        if (r < 0)
                return r == -2 ? -ENOMEM : -EIO;
        if (r > 0)
                return set_error(p->err, path, (unsigned)r,
                                 "syntax error (expected 'key = value')");
        if (p->kind == FILE_AGENT &&
            (has_seen(&agent_keys, p->seen, "session_policy_bytes_max") ||
             has_seen(&agent_keys, p->seen, "session_policy_uid_bytes_max")) &&
            p->config->session_policy_uid_bytes_max > p->config->session_policy_bytes_max)
                return set_error(
                        p->err, path, 0,
                        "session_policy_uid_bytes_max is larger than session_policy_bytes_max");
        return 0;
}

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
}

/* The NAME.ini entries of @dir, sorted bytewise; hidden files are skipped. */
static int list_role_files(const char *dir, char ***namesp, size_t *np, ConfigError *err)
{
        DIR *d;
        struct dirent *de;
        char **names = NULL;
        size_t n = 0;
        int r = 0;

        d = opendir(dir);
        if (!d)
                return set_error(err, dir, 0, "cannot open folder %s: %s", dir, strerror(errno));
        while ((errno = 0, de = readdir(d))) {
                size_t len = strlen(de->d_name);
                char **a;

                if (de->d_name[0] == '.' || len <= 4 || strcmp(de->d_name + len - 4, ".ini") != 0)
                        continue;
                if (n == CONFIG_ROLES_MAX) {
                        r = set_error(err, dir, 0, "more than %d role files in %s",
                                      CONFIG_ROLES_MAX, dir);
                        break;
                }
                a = realloc(names, (n + 1) * sizeof(*a));
                if (!a) {
                        r = -ENOMEM;
                        break;
                }
                names = a;
                names[n] = strdup(de->d_name);
                if (!names[n]) {
                        r = -ENOMEM;
                        break;
                }
                n++;
        }
        if (r == 0 && errno != 0)
                r = -errno;
        closedir(d);
        if (r != 0) {
                free_names(names, n);
                return r;
        }
        if (n > 1)
                qsort(names, n, sizeof(*names), cmp_names);
        *namesp = names;
        *np = n;
        return 0;
}

static int load_role_file(Parser *p, const char *path, RoleLines *lines)
{
        Config *c = p->config;
        Role *roles, *r;
        unsigned role_line = 0;
        int res;

        roles = realloc(c->roles, (c->n_roles + 1) * sizeof(*roles));
        if (!roles)
                return -ENOMEM;
        c->roles = roles;
        r = &c->roles[c->n_roles++];
        memset(r, 0, sizeof(*r));
        memset(lines, 0, sizeof(*lines));
        r->max_session_duration = PROTO_DURATION_DEFAULT;
        r->issuer = ROLE_ISSUER_LOCAL;
        r->file = strdup(path);
        if (!r->file)
                return -ENOMEM;
        p->role = r;
        p->lines = lines;

        res = parse_file(p, path, &role_line);
        if (res != 0)
                return res;
        r->line = role_line;
        if (!role_line)
                return set_error(p->err, path, 0, "no [role] section");
        if (!r->name)
                return set_error(p->err, path, role_line, "[role] has no name");
        if (!r->description && !(r->description = strdup("")))
                return -ENOMEM;
        if (!r->path && !(r->path = strdup("/")))
                return -ENOMEM;
        return 0;
}

/* Checks across roles: unique names, chained roles that exist. Then derive ARNs and ids. */
static int finish_config(Config *c, const RoleLines *lines, uid_t agent_uid, ConfigError *err)
{
        int aws = finish_aws(c, lines, agent_uid, err);

        if (aws != 0)
                return aws;
        for (size_t i = 0; i < c->n_roles; i++) {
                Role *r = &c->roles[i];
                const Role *first = config_find_role(c, r->name, strlen(r->name));

                if (first != r)
                        return set_error(err, r->file, r->line,
                                         "role name '%s' is already used by %s:%u", r->name,
                                         first->file, first->line);
        }
        for (size_t i = 0; i < c->n_roles; i++) {
                Role *r = &c->roles[i];
                const TrustRules *sets[] = { &r->trust, &r->defaults };
                const unsigned set_lines[] = { lines[i].trust_roles, lines[i].default_roles };
                int res;

                for (size_t s = 0; s < ELEMENTSOF(sets); s++)
                        for (size_t k = 0; k < sets[s]->n_roles; k++)
                                if (!config_find_role(c, sets[s]->roles[k],
                                                      strlen(sets[s]->roles[k])))
                                        return set_error(err, r->file, set_lines[s],
                                                         "roles: no role named '%s'",
                                                         sets[s]->roles[k]);
                res = finish_role(r, c->account);
                if (res < 0)
                        return res;
                /*
                 * IAM allows a path of 512 and a name of 64 bytes, so ARNs of
                 * up to 606; but every session token of a local role carries
                 * its ARN, in at most TOKEN_ARN_MAX bytes.  Refused here, not
                 * at the first request (whose error could only guess why).
                 */
                if (r->issuer == ROLE_ISSUER_LOCAL && strlen(r->arn) > TOKEN_ARN_MAX)
                        return set_error(err, r->file, r->line,
                                         "role '%s': its ARN (arn:aws:iam::ACCOUNT:role, path "
                                         "and name) is %zu bytes, over the %d a local role's "
                                         "session tokens can carry: shorten its path (%zu "
                                         "bytes) or name",
                                         r->name, strlen(r->arn), TOKEN_ARN_MAX, strlen(r->path));
                for (size_t s = 0; s < ELEMENTSOF(sets); s++) {
                        TrustRules *t = s == 0 ? &r->trust : &r->defaults;

                        if (t->n_exes && (res = exerule_new(&t->exe_rules, t->exes, t->n_exes)) < 0)
                                return res;
                }
        }
        return 0;
}

static int path_kind(const char *path, mode_t *modep)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        *modep = st.st_mode;
        return 0;
}

static int load(const char *location, uid_t agent_uid, Config **configp, ConfigError *err)
{
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *ini = NULL, *folder = NULL, *roles_dir = NULL;
        _cleanup_free_ RoleLines *lines = NULL;
        _cleanup_free_ unsigned *key_lines = NULL;
        char **names = NULL;
        size_t n_names = 0;
        Parser p = { .agent_uid = agent_uid, .err = err };
        mode_t mode;
        int r;

        r = path_kind(location, &mode);
        if (r < 0) {
                set_error(err, location, 0, "cannot access %s: %s", location, strerror(-r));
                return r;
        }
        if (S_ISDIR(mode)) {
                folder = strdup(location);
                if (!folder || asprintf(&ini, "%s/roled.ini", location) < 0)
                        return -ENOMEM;
        } else {
                ini = strdup(location);
                folder = folder_of(location);
                if (!ini || !folder)
                        return -ENOMEM;
        }
        if (asprintf(&roles_dir, "%s/roles.d", folder) < 0) {
                roles_dir = NULL;
                return -ENOMEM;
        }
        r = check_folder(folder, agent_uid, err);
        if (r != 0)
                return r;

        r = config_alloc(&c);
        if (r < 0)
                return r;
        c->path = strdup(location);
        if (!c->path)
                return -ENOMEM;
        p.config = c;

        /* roled.ini is optional when a folder is given, required when named. */
        if (S_ISDIR(mode) ? access(ini, F_OK) == 0 : true) {
                p.kind = FILE_AGENT;
                r = parse_file(&p, ini, NULL);
                key_lines = steal_pointer(&p.key_lines);
                if (r != 0)
                        return r;
        }

        if (path_kind(roles_dir, &mode) == 0) {
                if (!S_ISDIR(mode))
                        return set_error(err, roles_dir, 0, "%s is not a folder", roles_dir);
                r = check_folder(roles_dir, agent_uid, err);
                if (r != 0)
                        return r;
                r = list_role_files(roles_dir, &names, &n_names, err);
                if (r != 0)
                        return r;
                lines = calloc(n_names ? n_names : 1, sizeof(*lines));
                if (!lines) {
                        free_names(names, n_names);
                        return -ENOMEM;
                }
                p.kind = FILE_ROLE;
                p.key_lines = steal_pointer(&key_lines);
                for (size_t i = 0; i < n_names && r == 0; i++) {
                        _cleanup_free_ char *path = NULL;

                        if (asprintf(&path, "%s/%s", roles_dir, names[i]) < 0) {
                                path = NULL;
                                r = -ENOMEM;
                                break;
                        }
                        p.error = 0;
                        r = load_role_file(&p, path, &lines[i]);
                }
                key_lines = steal_pointer(&p.key_lines);
                free_names(names, n_names);
                if (r != 0)
                        return r;
        }

        r = finish_config(c, lines, agent_uid, err);
        if (r != 0)
                return r;
        *configp = steal_pointer(&c);
        return 0;
}

int config_load(const char *dir, uid_t agent_uid, Config **configp, ConfigError *err)
{
        ConfigError scratch;

        if (!err)
                err = &scratch;
        memset(err, 0, sizeof(*err));
        return load(dir, agent_uid, configp, err);
}

/* $VAR/roled when $VAR is an absolute path, else $HOME/@fallback/roled (HOME from passwd if unset).
 */
static int xdg_dir(const char *var, const char *fallback, uid_t uid, char **dirp)
{
        const char *v = getenv(var), *home = getenv("HOME");
        _cleanup_free_ char *scratch = NULL;
        struct passwd pw, *pwp = NULL;

        if (v && v[0] == '/')
                return asprintf(dirp, "%s/roled", v) < 0 ? -ENOMEM : 0;
        if (!home || home[0] != '/') {
                scratch = malloc(16384);
                if (!scratch)
                        return -ENOMEM;
                if (getpwuid_r(uid, &pw, scratch, 16384, &pwp) != 0 || !pwp ||
                    pwp->pw_dir[0] != '/')
                        return -ENOENT;
                home = pwp->pw_dir;
        }
        return asprintf(dirp, "%s/%s/roled", home, fallback) < 0 ? -ENOMEM : 0;
}

static bool exists(const char *folder, const char *name)
{
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/%s", folder, name) < 0)
                return false;
        return access(path, F_OK) == 0;
}

int config_load_mode(bool is_user_mode, const char *dir, uid_t agent_uid, Config **configp,
                     ConfigError *err)
{
        _cleanup_(config_freep) Config *c = NULL;
        _cleanup_free_ char *folder = NULL;
        ConfigError scratch;
        mode_t mode;
        int r;

        if (!err)
                err = &scratch;
        memset(err, 0, sizeof(*err));

        if (dir)
                folder = strdup(dir);
        else if (is_user_mode) {
                r = xdg_dir("XDG_CONFIG_HOME", ".config", agent_uid, &folder);
                if (r < 0)
                        return r;
        } else
                folder = strdup(ROLED_SYSCONFDIR);
        if (!folder)
                return -ENOMEM;

        r = path_kind(folder, &mode);
        if (r == -ENOENT || (r == 0 && S_ISDIR(mode) && !exists(folder, "roled.ini") &&
                             !exists(folder, "roles.d"))) {
                bool is_missing = r == -ENOENT;

                r = config_new_default(agent_uid, &c);
                if (r == 0)
                        c->is_folder_missing = is_missing;
        } else
                r = config_load(folder, agent_uid, &c, err);
        if (r != 0)
                return r;
        c->folder = steal_pointer(&folder);

        if (!c->key_dir) {
                if (is_user_mode)
                        r = xdg_dir("XDG_STATE_HOME", ".local/state", agent_uid, &c->key_dir);
                else
                        r = (c->key_dir = strdup(ROLED_STATEDIR)) ? 0 : -ENOMEM;
                if (r < 0)
                        return r;
        }
        if (!c->socket) {
                const char *rt = getenv("XDG_RUNTIME_DIR");

                if (!is_user_mode)
                        r = asprintf(&c->socket, "%s/roled.sock", ROLED_RUNDIR);
                else if (rt && rt[0] == '/')
                        r = asprintf(&c->socket, "%s/roled/roled.sock", rt);
                if (r < 0) {
                        c->socket = NULL;
                        return -ENOMEM;
                }
        }
        *configp = steal_pointer(&c);
        return 0;
}
