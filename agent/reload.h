/* SPDX-License-Identifier: MIT */
/*
 * reload.h - loading the configuration into the Agent, at start and on
 * SIGHUP / Reload: the new configuration is built aside and swapped in whole,
 * or rejected with the old one left serving.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "agent.h"

/* agent_load_config() - first load.  Return: 0, or non-zero with @why set. */
int agent_load_config(Agent *a, char *why, size_t why_len);

/*
 * agent_reload() - load again and swap atomically.
 * Return: 0, or non-zero with @why set (the old configuration keeps serving).
 */
int agent_reload(Agent *a, char *why, size_t why_len);

/*
 * agent_config_warning() - what an operator must hear about where the
 * serving configuration came from: its folder is missing, or holds no
 * configuration (the embedded default serves), or it defines no role at all
 * (every request for credentials is refused).  Logged at start and after a
 * reload, and printed by --check-config.
 * @a: the agent, with a configuration installed
 * @buf, @len: receive the message (no trailing newline)
 * Return: true when there is something to say (then @buf holds it).
 */
bool agent_config_warning(const Agent *a, char *buf, size_t len);

/*
 * agent_check_config() - log configcheck.c's warnings about the serving
 * configuration (unknown users and groups, missing exe paths, roles nobody
 * or everybody can assume), at start and after every reload.  The NSS
 * lookups run in libuv's pool, never on the loop; the warnings are logged
 * when they are done, unless a newer configuration replaced this one.
 */
void agent_check_config(Agent *a);

/* log_config_warning() - a ConfigcheckFn (configcheck.h) that logs each warning. */
void log_config_warning(void *userdata, const char *warning);
