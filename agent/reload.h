/* SPDX-License-Identifier: MIT */
/*
 * reload.h - loading the configuration into the Agent, at start and on
 * SIGHUP / Reload: the new configuration is built aside and swapped in whole,
 * or rejected with the old one left serving.
 */
#pragma once

#include <stddef.h>

#include "agent.h"

/* agent_load_config() - first load.  Return: 0, or non-zero with @why set. */
int agent_load_config(Agent *a, char *why, size_t why_len);

/*
 * agent_reload() - load again and swap atomically.
 * Return: 0, or non-zero with @why set (the old configuration keeps serving).
 */
int agent_reload(Agent *a, char *why, size_t why_len);
