/* SPDX-License-Identifier: MIT */
/*
 * log.h - the agent's log: one line per event on stderr, with a syslog
 * priority prefix ("<3>") when stderr goes to the journal.
 *
 * Nothing secret is ever passed here: credentials, tokens and keys stay in
 * their Secret buffers.  Logging is never on the per-request hot path.
 */
#pragma once

#include <stdarg.h>

enum {
        LOG_LEVEL_ERROR = 3,
        LOG_LEVEL_WARNING = 4,
        LOG_LEVEL_INFO = 6,
        LOG_LEVEL_DEBUG = 7,
};

/* log_set_level() - drop messages less important than @level. */
void log_set_level(int level);
/* log_parse_level() - "error|warning|info|debug" to a level; -1 when unknown. */
int log_parse_level(const char *s);
/* log_msg() - format and write one line at @level. */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
