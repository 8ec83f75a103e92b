/* SPDX-License-Identifier: MIT */
/*
 * config.h - the agent's configuration: roled.ini (agent settings) and
 * roles.d/NAME.ini (one role per file), parsed with inih into plain structs,
 * with file:line errors. Policy documents are loaded as text and checked to
 * be JSON; compiling and evaluating them is agent/policy/'s job, deciding
 * trust is trust.c's.
 *
 * Files. roled.ini (optional), section [agent]:
 *   socket                   socket path (default: the mode's, see config_load_mode())
 *   account                  12-digit account id used in ARNs (default 000000000000)
 *   key_dir                  signing keys (default: system /var/lib/roled, user
 *                            $XDG_STATE_HOME/roled or ~/.local/state/roled)
 *   max_connections_per_uid  1..65535 (default 64)
 *   max_sessions_per_uid     1..10000000 (default 10000): live sessions one uid may hold;
 *                            past it, new sessions get Throttling
 *   exe_hash_max_size        1M..4G (default 64M; bytes, or K, M, G): the largest
 *                            executable hashed for exe_sha256 rules; a larger one
 *                            matches no exe_sha256 rule
 *   session_policy_bytes_max 1M..4G (default 64M): memory the session policies of
 *                            live sessions may hold, all uids together
 *   session_policy_uid_bytes_max
 *                            64K..4G (default 4M), at most session_policy_bytes_max:
 *                            the same for one uid; past either, Throttling
 *   log_level                error|warning|info|debug (default info)
 *   default_duration         session lifetime when the request names none (default 1h)
 *   login_prewarm_exe        the program a login's processes ask through, whose
 *                            identity a login's pre-warmed session is keyed for
 *                            (default: the installed rolectl; empty: no executable)
 * roled.ini, section [aws] (the aws issuer; see ConfigAws):
 *   credentials_file, profile, imds, region, sts_endpoint, ca_file,
 *   mfa_serial, mfa_process
 * roles.d/NAME.ini, read in byte order of the file name (other names are
 * ignored), each with exactly one [role] section:
 *   name                     required, 1..64 of [A-Za-z0-9+=,.@_-], unique
 *                            case-insensitively (as IAM role names are)
 *   description              free text
 *   max_session_duration     900s..12h (default 1h)
 *   issuer                   local (default) or aws (needs an [aws] section here
 *                            and in roled.ini)
 *   permissions              IAM JSON policy file, relative to the INI file's folder
 *   trust_policy             optional IAM JSON trust document, same treatment
 *   path                     IAM role path, "/" or "/a/b/" (default "/")
 *   claim_exe                true|false (default false): sessions name the
 *                            caller's executable (token claims, aws roled:exe
 *                            tag) without exe rules; the agent then checks it
 *                            for each request as it does for exe rules
 *                            (trust_rests_on_exe())
 * the section [aws] (issuer = aws only; see RoleAws): role_arn (required),
 * external_id, session_policy = inherit|none|FILE, source_role, region,
 * sts_endpoint; for these roles max_session_duration bounds DurationSeconds,
 * and a role with a source_role is limited to 1 hour (STS role chaining);
 * and the selector sections [trust] and [default], each with the keys
 *   users   user names, or "*" for any user
 *   groups  group names         uids  numbers or ranges "1000-1999"
 *   gids    numbers or ranges   roles other role names (role chaining)
 *   exe     absolute canonical executable paths; matched by file identity:
 *           the device and inode the path names in the agent's own mount
 *           namespace (resolved at load and again when the file is replaced)
 *           against those of the file the process runs, never by the path
 *   exe_sha256  64 hex digits (SHA-256 of the executable)
 *   exe_foreign_namespaces  true|false (default false): whether exe and
 *           exe_sha256 rules may match a process in another mount or user
 *           namespace than the agent (a container); by default they never do
 *   units   systemd unit names (.service .scope .socket .mount .swap) of the
 *           system manager; "user:NAME" names a unit of a user manager
 * Lists are comma and/or space separated; a key may repeat to continue a
 * list (inih lines are limited to CONFIG_LINE_MAX bytes). Continuation lines
 * (indented), unknown sections and unknown keys are errors: a typo must not
 * silently widen or narrow access. Durations are "900s", "15m", "12h" or
 * plain seconds.
 *
 * Trust semantics. Principals are users ∪ groups ∪ uids ∪ gids ∪ roles: the
 * caller must match at least one (OR). groups/gids match the primary or any
 * supplementary group; roles matches only a chained caller (one presenting
 * credentials of that role). Constraints are exe, exe_sha256 and units: each
 * one that is given must hold (AND); within a constraint the entries are
 * alternatives. A section without principals trusts nobody. [default] is
 * read the same way and makes the role the matching identity's default role
 * (the instance-role analogue); the identity must also pass [trust]. The
 * optional trust_policy document is an additional condition (the agent
 * evaluates it with the policy engine after [trust] allowed: both must
 * allow); it never widens [trust].
 *
 * Safety. Every file read (INI, policy, and the folders holding them) must be
 * owned by root or the agent's uid and not writable by group or other; reads
 * are bounded (CONFIG_INI_MAX, CONFIG_POLICY_MAX).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "exerule.h"
#include "log.h"
#include "util.h"

#define CONFIG_INI_MAX (1024 * 1024)   /* bytes in one INI file */
#define CONFIG_POLICY_MAX (128 * 1024) /* bytes in one policy file */
#define CONFIG_LINE_MAX 198            /* bytes in one INI line (inih's INI_MAX_LINE, less CR/LF) */
#define CONFIG_ROLES_MAX 4096          /* role files in roles.d */
#define CONFIG_ROLE_NAME_MAX 64
#define CONFIG_ROLE_PATH_MAX 512
#define CONFIG_ROLE_ID_LEN 21 /* "AROA" + 17 base32 chars */
#define CONFIG_ACCOUNT_LEN 12
#define CONFIG_ERROR_MAX 512
#define CONFIG_TAGS_MAX 50                                /* IAM: 50 tags per role */
#define CONFIG_EXE_HASH_MAX_DEFAULT (64ull * 1024 * 1024) /* exe_hash_max_size default */
#define CONFIG_EXE_HASH_MAX_LIMIT (4ull * 1024 * 1024 * 1024)
#define CONFIG_SESSION_POLICY_BYTES_DEFAULT (64ull << 20) /* session_policy_bytes_max default */
#define CONFIG_SESSION_POLICY_UID_BYTES_DEFAULT                                                    \
        (4ull << 20) /* session_policy_uid_bytes_max default */
#define CONFIG_SESSION_POLICY_BYTES_LIMIT                                                          \
        (4ull * 1024 * 1024 * 1024) /* the largest session_policy_*bytes_max */

enum {
        CONFIG_E_INVALID = 1, /* a file is malformed or holds a bad value; see ConfigError */
        CONFIG_E_UNSAFE,      /* a file or folder has unsafe owner or permissions */
};

/* roled.ini's log_level: log.h's LOG_LEVELS in their order (CONFIG_LOG_ERROR is 0). */
typedef enum ConfigLogLevel {
#define CONFIG_X_LOG_LEVEL(e, priority, name) CONFIG_LOG_##e,
        LOG_LEVELS(CONFIG_X_LOG_LEVEL)
#undef CONFIG_X_LOG_LEVEL
} ConfigLogLevel;

typedef enum RoleIssuer {
        ROLE_ISSUER_LOCAL,
        ROLE_ISSUER_AWS,
        ROLE_ISSUER_COUNT,
} RoleIssuer;

/* How an aws role's STS session policy is chosen ([aws] session_policy). */
typedef enum AwsSessionPolicy {
        AWS_SESSION_POLICY_INHERIT, /* the role's permissions document (default) */
        AWS_SESSION_POLICY_NONE,    /* none: the IAM role's own permissions apply */
        AWS_SESSION_POLICY_FILE,    /* a policy file of its own */
} AwsSessionPolicy;

/*
 * RoleAws - a role's [aws] section (issuer = aws only).
 *  role_arn        the IAM role to assume (required)
 *  external_id     sts:ExternalId, or NULL
 *  session_policy  inherit | none | FILE; policy/policy_len hold FILE's text
 *  source_role     another aws role whose session is the source (role
 *                  chaining: sessions at most 1 hour), or NULL
 *  region, sts_endpoint  per-role overrides of roled.ini's [aws], or NULL
 */
typedef struct RoleAws {
        char *role_arn;
        char *external_id;
        AwsSessionPolicy session_policy;
        char *policy;
        size_t policy_len;
        char *policy_path;
        char *source_role;
        char *region;
        char *sts_endpoint;
} RoleAws;

/*
 * ConfigAws - roled.ini's [aws] section: where the agent's own (source)
 * credentials come from and how STS is reached.
 *  credentials_file  AWS CLI format; 0600 (no group/other access), owned
 *                    by root or the agent's uid, else refused
 *  profile           its section (default "default")
 *  imds              with no credentials_file: the instance role's credentials
 *                    from IMDSv2 (imds.c)
 *  region            default us-east-1
 *  sts_endpoint      default https://sts.<region>.amazonaws.com; http:// only
 *                    for a loopback address
 *  ca_file           added to the system trust store, or NULL
 *  mfa_serial        MFA device serial or ARN: the agent's source credentials
 *                    are first turned into a GetSessionToken session with a code
 *                    (from mfa_process, or else from the Mfa method: rolectl mfa)
 *  mfa_process       the command (absolute path, arguments split on spaces, no
 *                    shell) whose standard output is that six-digit code, or NULL
 *  access_key_id, secret_access_key, session_token  the source credentials
 *                    read from credentials_file (secret and token wiped on free)
 */
typedef struct ConfigAws {
        bool is_set;
        char *credentials_file;
        char *profile;
        bool imds;
        char *imds_at; /* "FILE:LINE" of the imds = on in effect (NULL: off), for warnings */
        char *region;
        char *sts_endpoint;
        char *ca_file;
        char *mfa_serial;
        char *mfa_process;
        char *access_key_id;
        char *secret_access_key;
        char *session_token;
} ConfigAws;

/* IdRange - the inclusive id range lo..hi (lo == hi for one id). */
typedef struct IdRange {
        uint32_t lo;
        uint32_t hi;
} IdRange;

/*
 * TrustRules - one [trust] or [default] section, as written.
 * is_any_user is "*" in users; exe_sha256 holds n_exe_sha256 raw digests;
 * units keep the optional "user:" prefix.
 */
typedef struct TrustRules {
        bool is_any_user;
        bool is_exe_foreign_ns_allowed; /* exe_foreign_namespaces = true */
        char **users;
        size_t n_users;
        char **groups;
        size_t n_groups;
        IdRange *uids;
        size_t n_uids;
        IdRange *gids;
        size_t n_gids;
        char **roles;
        size_t n_roles;
        char **exes;
        size_t n_exes;
        ExeRules *exe_rules; /* exes resolved to (device, inode); set once the file is parsed */
        uint8_t (*exe_sha256)[32];
        size_t n_exe_sha256;
        char **units;
        size_t n_units;
} TrustRules;

/*
 * Role - one role definition.
 *  name, description      as configured (description "" when absent)
 *  path                   IAM path, "/" by default
 *  arn                    "arn:aws:iam::<account>:role<path><name>"
 *  role_id                "AROA" + 17 chars of [A-Z2-7] from SHA-256 of the name
 *  max_session_duration   seconds, 900..43200
 *  permissions            policy text (NUL-terminated, permissions_len bytes) or NULL
 *  permissions_path       the file it came from (resolved), or NULL
 *  trust_policy(_len/_path) the same for the optional trust document
 *  trust, defaults        the [trust] and [default] sections (empty when absent)
 *  is_exe_claimed         claim_exe = true: answers rest on the executable
 *                         (trust_rests_on_exe()), so sessions may name it
 *  tag_keys, tag_values   the [tags] section: IAM role tags (at most 50; keys 1..128 and
 *                         values 0..256 characters of [A-Za-z0-9 _.:/=+@-]; keys unique
 *                         case-insensitively), seen by policies as aws:PrincipalTag/<key>
 *  file, line             where the role was defined (line of [role])
 */
typedef struct Role {
        char *name;
        char *description;
        char *path;
        char *arn;
        char role_id[CONFIG_ROLE_ID_LEN + 1];
        uint32_t max_session_duration;
        RoleIssuer issuer;
        char *permissions;
        size_t permissions_len;
        char *permissions_path;
        char *trust_policy;
        size_t trust_policy_len;
        char *trust_policy_path;
        TrustRules trust;
        TrustRules defaults;
        bool is_exe_claimed;
        char **tag_keys;
        char **tag_values;
        size_t n_tags;
        RoleAws aws;
        char *file;
        unsigned line;
} Role;

/*
 * Config - one complete, validated configuration; immutable once loaded and
 * swapped as a whole on reload.
 *  path                  the folder (or roled.ini) it was loaded from; NULL when embedded
 *  is_default_embedded   built by config_new_default(), no files involved
 *  folder                the folder config_load_mode() looked in (NULL from
 *                        config_load() and config_new_default())
 *  is_folder_missing     that folder does not exist (the embedded default serves)
 *  socket                socket path, NULL: the listener's default for the mode
 *  account               12 digits
 *  key_dir               signing-key folder, NULL: the mode's default
 *                        (config_load_mode() fills it in)
 *  roles, n_roles        in load order: roles.d file names in byte order
 */
typedef struct Config {
        char *path;
        bool is_default_embedded;
        char *folder;
        bool is_folder_missing;
        char *socket;
        char account[CONFIG_ACCOUNT_LEN + 1];
        char *key_dir;
        unsigned max_connections_per_uid;
        unsigned max_sessions_per_uid; /* live sessions one uid may hold (default 10000) */
        uint64_t exe_hash_max_size;    /* largest executable hashed for exe_sha256 rules, bytes */
        uint64_t session_policy_bytes_max;     /* policystore.c's bound, all uids */
        uint64_t session_policy_uid_bytes_max; /* and per uid */
        ConfigLogLevel log_level;
        uint32_t default_duration;
        char *login_prewarm_exe; /* NULL: the installed rolectl; "": none */
        ConfigAws aws;
        Role *roles;
        size_t n_roles;
} Config;

/* ConfigError - where loading failed: file ("" if none), line (0 if none), reason. */
typedef struct ConfigError {
        char file[4096];
        unsigned line;
        char message[CONFIG_ERROR_MAX];
} ConfigError;

/*
 * config_load() - load a configuration from files.
 * @dir: a folder holding roled.ini and/or roles.d/, or the path of a
 *       roled.ini file (then roles.d/ next to it is read)
 * @agent_uid: besides root, the only owner accepted for config files
 * @configp: receives the configuration; the caller owns it (config_free())
 * @err: receives file, line and reason on CONFIG_E_*; may be NULL
 * Return: 0, CONFIG_E_INVALID, CONFIG_E_UNSAFE, or -errno (-ENOENT when
 *         @dir does not exist).
 */
int config_load(const char *dir, uid_t agent_uid, Config **configp, ConfigError *err);

/*
 * config_load_mode() - load the configuration of the system or user agent.
 * @is_user_mode: user agent ($XDG_CONFIG_HOME/roled or ~/.config/roled) or
 *                system agent (ROLED_SYSCONFDIR, /etc/roled)
 * @dir: overrides the mode's folder when non-NULL
 * @agent_uid: as for config_load(); the embedded default trusts this uid
 * @configp, @err: as for config_load()
 *
 * When the folder holds neither roled.ini nor roles.d/ (or does not exist),
 * the embedded default (config_new_default()) is returned. Unset socket and
 * key_dir are filled with the mode's defaults (socket stays NULL in user
 * mode without XDG_RUNTIME_DIR).
 * Return: as config_load().
 */
int config_load_mode(bool is_user_mode, const char *dir, uid_t agent_uid, Config **configp,
                     ConfigError *err);

/*
 * config_new_default() - the embedded default configuration: one role
 * "default" ("Embedded default role", local issuer, 12h maximum, no
 * permissions policy) trusted by, and the default role of, @uid only.
 * @uid: the uid running roled
 * @configp: receives the configuration; the caller owns it
 * Return: 0 or -ENOMEM.
 */
int config_new_default(uid_t uid, Config **configp);

/* config_free() - free @config (NULL is fine). Return: NULL. */
Config *config_free(Config *config);
DEFINE_TRIVIAL_CLEANUP_FUNC(Config, config_free);

/*
 * config_find_role() - the role called @name[0..@len), compared
 * case-insensitively as IAM does. Return: a role borrowed from @config, or NULL.
 */
const Role *config_find_role(const Config *config, const char *name, size_t len);

/*
 * config_role_name_valid() - does @name[0..@len) follow IAM's RoleName rule
 * (1..64 of [A-Za-z0-9+=,.@_-])?
 */
bool config_role_name_valid(const char *name, size_t len);

/*
 * config_aws_endpoint() - the STS endpoint for @role (its own, roled.ini's,
 * or the regional endpoint of the region) and the region it signs for.
 */
void config_aws_endpoint(const Config *config, const Role *role, char *url, size_t url_size,
                         const char **regionp);

/* config_log_level_priority() - @level's syslog priority (log.h's LOG_LEVEL_*: log_set_level()). */
int config_log_level_priority(ConfigLogLevel level);
