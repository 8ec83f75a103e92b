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

/*
 * LOG_LEVELS - every level, most important first: X(NAME, syslog priority,
 * "name").  The one list of level names: --log-level, roled.ini's log_level
 * (config.h's ConfigLogLevel follows its order) and the line prefix.
 */
#define LOG_LEVELS(X)                                                                              \
        X(ERROR, 3, "error")                                                                       \
        X(WARNING, 4, "warning")                                                                   \
        X(INFO, 6, "info")                                                                         \
        X(DEBUG, 7, "debug")

enum {
#define LOG_X_ENUM(e, priority, name) LOG_LEVEL_##e = priority,
        LOG_LEVELS(LOG_X_ENUM)
#undef LOG_X_ENUM
};

/* log_set_level() - drop messages less important than @level. */
void log_set_level(int level);
/* log_parse_level() - "error|warning|info|debug" to a level; -1 when unknown. */
int log_parse_level(const char *s);
/* log_msg() - format and write one line at @level. */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A rate limit for one call site: at most LOG_BURST_MAX lines per
 * LOG_BURST_WINDOW_MS, then silence until the window ends, and one line
 * saying how many were dropped.  A flood of connections must not turn into a
 * flood of log lines (disk, journald and the loop's time are shared).
 */
#define LOG_BURST_MAX 10
#define LOG_BURST_WINDOW_MS 10000

typedef struct LogRateLimit {
        unsigned long long window_start_ms; /* CLOCK_MONOTONIC */
        unsigned n_logged;                  /* in this window */
        unsigned long long n_dropped;       /* since the last line written */
} LogRateLimit;

/* log_msg_ratelimited() - log_msg() under @rl. */
void log_msg_ratelimited(LogRateLimit *rl, int level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* log_<level>_ratelimited() - one LogRateLimit per call site. */
#define log_ratelimited(level, ...)                                                                \
        do {                                                                                       \
                static LogRateLimit _log_rl;                                                       \
                log_msg_ratelimited(&_log_rl, (level), __VA_ARGS__);                               \
        } while (0)
#define log_warning_ratelimited(...) log_ratelimited(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info_ratelimited(...) log_ratelimited(LOG_LEVEL_INFO, __VA_ARGS__)

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)
