/* SPDX-License-Identifier: MIT */
/*
 * reload.c - configuration loading and the atomic swap (see reload.h).
 *
 * Connections memoise their default role per config generation, so bumping
 * the generation is all it takes to make them look again; nothing else keeps
 * a Role pointer across requests.
 */
#include "reload.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "config.h"
#include "configcheck.h"
#include "conn.h"
#include "hashq.h"
#include "log.h"
#include "namecache.h"
#include "policystore.h"
#include "tokencache.h"
#include "trust.h"
#include "util.h"

static int load(Agent *a, Config **configp, AccessPolicies **apsp, char *why, size_t why_len)
{
        ConfigError err = { .line = 0 };
        int r;

        /* --config PATH replaces the mode's folder; config_load_mode() then fills in
         * the mode's key_dir and socket, which config_load() leaves NULL. A PATH
         * that does not exist stays an error instead of the embedded default. */
        if (a->config_path && access(a->config_path, F_OK) < 0)
                r = -errno;
        else
                r = config_load_mode(a->is_user_mode, a->config_path, a->uid, configp, &err);
        if (r == 0) {
                /* Policies are compiled now, so a broken one rejects the whole configuration. */
                r = access_compile(*configp, apsp, why, why_len);
                if (r < 0)
                        snprintf(why, why_len, "compiling policies: %s", strerror(-r));
                return r;
        }
        if (r < 0 && !err.message[0])
                snprintf(why, why_len, "%s: %s", a->config_path ? a->config_path : "configuration",
                         strerror(-r));
        else if (err.file[0] && err.line)
                snprintf(why, why_len, "%s:%u: %s", err.file, err.line, err.message);
        else if (err.file[0])
                snprintf(why, why_len, "%s: %s", err.file, err.message);
        else
                snprintf(why, why_len, "%s", err.message);
        return r < 0 ? r : 1;
}

static void install(Agent *a, Config *config, AccessPolicies *aps)
{
        bool was_counting;

        access_policies_free(a->access);
        a->access = aps;
        config_free(a->config);
        a->config = config;
        a->config_generation++;
        a->max_conns_per_uid = config->max_connections_per_uid;
        a->needs_exe_hash = trust_config_needs_exe_hash(config, aps);
        /* Connections attested without it read it with their next request (dispatch.c). */
        a->reads_units = trust_config_reads_unit(config, aps);
        was_counting = a->counts_early;
        a->counts_early = trust_config_rests_on_exe(config, aps);
        if (a->counts_early && !was_counting)
                conn_count_early(a);
        if (a->hashq)
                hashq_set_max_size(a->hashq, config->exe_hash_max_size);
        if (a->session_policies)
                policy_store_set_limits(a->session_policies,
                                        (size_t)config->session_policy_bytes_max,
                                        (size_t)config->session_policy_uid_bytes_max);
        /* Names are resolved afresh after a reload (a renamed user or group shows at once). */
        if (a->names)
                namecache_clear(a->names);
        /* Cached contexts were built against the old roles; start afresh. */
        if (a->tokens)
                tokencache_clear(a->tokens);
}

int agent_load_config(Agent *a, char *why, size_t why_len)
{
        _cleanup_(config_freep) Config *config = NULL;
        _cleanup_(access_policies_freep) AccessPolicies *aps = NULL;
        int r = load(a, &config, &aps, why, why_len);

        if (r)
                return r;
        install(a, steal_pointer(&config), steal_pointer(&aps));
        return 0;
}

typedef struct CheckWork {
        uv_work_t req;
        Agent *agent;
        unsigned generation; /* the configuration the names came from */
        ConfigcheckNames *names;
} CheckWork;

static void check_work(uv_work_t *req)
{
        CheckWork *w = (CheckWork *)req;

        configcheck_names_resolve(w->names);
}

/* Back on the loop: report, unless a newer configuration (with a check of its own) replaced it. */
static void on_checked(uv_work_t *req, int status)
{
        CheckWork *w = (CheckWork *)req;
        Agent *a = w->agent;

        if (status == 0 && !a->is_stopping && w->generation == a->config_generation)
                (void)configcheck_run(a->config, a->access, w->names, log_config_warning, NULL);
        configcheck_names_free(w->names);
        free(w);
}

void agent_check_config(Agent *a)
{
        CheckWork *w = calloc(1, sizeof(*w));
        int r = w ? configcheck_names_new(a->config, &w->names) : -ENOMEM;

        if (r == 0) {
                w->agent = a;
                w->generation = a->config_generation;
                r = uv_queue_work(a->loop, &w->req, check_work, on_checked);
        }
        if (r < 0) {
                log_warning("cannot check the configuration for mistakes: %s", strerror(-r));
                if (w)
                        configcheck_names_free(w->names);
                free(w);
        }
}

int agent_reload(Agent *a, char *why, size_t why_len)
{
        char warning[1024];
        int r = agent_load_config(a, why, why_len);

        if (r == 0) {
                log_info("configuration reloaded: %zu role(s)", a->config->n_roles);
                if (agent_config_warning(a, warning, sizeof(warning)))
                        log_warning("%s", warning);
                agent_check_config(a);
        }
        return r;
}

void log_config_warning(void *userdata, const char *warning)
{
        (void)userdata;
        log_warning("%s", warning);
}

bool agent_config_warning(const Agent *a, char *buf, size_t len)
{
        const Config *c = a->config;
        const char *where = c->folder ? c->folder : c->path;

        /* An administrator who put roles into the wrong folder (or none) must
         * not find out from refused requests alone. */
        if (c->is_default_embedded && where)
                snprintf(buf, len,
                         "%s %s: serving the embedded default (one role 'default' that only uid %u "
                         "may assume)",
                         where,
                         c->is_folder_missing ? "does not exist"
                                              : "holds neither roled.ini nor roles.d/",
                         (unsigned)a->uid);
        else if (!c->is_default_embedded && c->n_roles == 0)
                snprintf(buf, len,
                         "no roles defined in %s (roles.d/*.ini): every request for credentials is "
                         "refused until roles are added and the agent reloads",
                         where ? where : "the configuration");
        else
                return false;
        return true;
}
