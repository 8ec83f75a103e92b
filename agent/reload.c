/* SPDX-License-Identifier: MIT */
/*
 * reload.c - configuration loading and the atomic swap (see reload.h).
 *
 * Connections memoise their default role per config generation, so bumping
 * the generation is all it takes to make them look again; nothing else keeps
 * a Role pointer across requests.
 */
#include "reload.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "trust.h"
#include "util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(Config, config_free);

static int load(Agent *a, Config **configp, char *why, size_t why_len)
{
        ConfigError err = { .line = 0 };
        int r;

        if (a->config_path)
                r = config_load(a->config_path, a->uid, configp, &err);
        else
                r = config_load_mode(a->is_user_mode, NULL, a->uid, configp, &err);
        if (r == 0)
                return 0;
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

static void install(Agent *a, Config *config)
{
        config_free(a->config);
        a->config = config;
        a->config_generation++;
        a->needs_exe_hash = trust_config_needs_exe_hash(config);
        a->max_conns_per_uid = config->max_connections_per_uid;
}

int agent_load_config(Agent *a, char *why, size_t why_len)
{
        _cleanup_(config_freep) Config *config = NULL;
        int r = load(a, &config, why, why_len);

        if (r)
                return r;
        install(a, steal_pointer(&config));
        return 0;
}

int agent_reload(Agent *a, char *why, size_t why_len)
{
        int r = agent_load_config(a, why, why_len);

        if (r == 0)
                log_info("configuration reloaded: %zu role(s)", a->config->n_roles);
        return r;
}
