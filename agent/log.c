/* SPDX-License-Identifier: MIT */
/*
 * log.c - the agent's log on stderr (see log.h).
 *
 * Under systemd (JOURNAL_STREAM set) each line carries a "<N>" priority
 * prefix that journald understands; otherwise a "roled: level: " prefix.
 * Control characters in formatted text are escaped so a peer-supplied string
 * cannot forge log lines.
 */
#include "log.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int max_level = LOG_LEVEL_INFO;

void log_set_level(int level)
{
        max_level = level;
}

/* The levels of LOG_LEVELS, in its order. */
static const struct {
        const char *name;
        int level;
} levels[] = {
#define LOG_X_ROW(e, priority, name) { name, LOG_LEVEL_##e },
        LOG_LEVELS(LOG_X_ROW)
#undef LOG_X_ROW
};

int log_parse_level(const char *s)
{
        for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
                if (strcmp(s, levels[i].name) == 0)
                        return levels[i].level;
        return -1;
}

/* level_name() - @level's name; anything less important than info is "debug". */
static const char *level_name(int level)
{
        for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
                if (levels[i].level == level)
                        return levels[i].name;
        return "debug";
}

static void write_line(int level, const char *text);

void log_msg(int level, const char *fmt, ...)
{
        char text[1024];
        va_list ap;

        if (level > max_level)
                return;
        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        write_line(level, text);
}

static unsigned long long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
        return (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
}

void log_msg_ratelimited(LogRateLimit *rl, int level, const char *fmt, ...)
{
        unsigned long long now;
        char text[1024];
        va_list ap;

        if (level > max_level)
                return;
        now = now_ms();
        if (rl->n_logged == 0 || now - rl->window_start_ms >= LOG_BURST_WINDOW_MS) {
                if (rl->n_dropped) {
                        snprintf(text, sizeof(text),
                                 "%llu similar messages were dropped in the last %llu s",
                                 rl->n_dropped, (now - rl->window_start_ms) / 1000);
                        write_line(level, text);
                }
                rl->window_start_ms = now;
                rl->n_logged = 0;
                rl->n_dropped = 0;
        }
        if (rl->n_logged >= LOG_BURST_MAX) {
                rl->n_dropped++;
                return;
        }
        rl->n_logged++;
        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        if (rl->n_logged == LOG_BURST_MAX)
                snprintf(text + strlen(text), sizeof(text) - strlen(text),
                         " (more like this in the next %d s are dropped)",
                         LOG_BURST_WINDOW_MS / 1000);
        write_line(level, text);
}

static void write_line(int level, const char *text)
{
        char line[2200];
        size_t n = 0;

        if (getenv("JOURNAL_STREAM"))
                n = (size_t)snprintf(line, sizeof(line), "<%d>", level);
        else
                n = (size_t)snprintf(line, sizeof(line), "roled: %s: ", level_name(level));
        for (const char *p = text; *p && n < sizeof(line) - 8; p++) {
                unsigned char ch = (unsigned char)*p;

                if (ch < 0x20 || ch == 0x7f)
                        n += (size_t)snprintf(line + n, sizeof(line) - n, "\\x%02x", ch);
                else
                        line[n++] = (char)ch;
        }
        line[n++] = '\n';
        /* One write per line, so lines from a crash-looping agent stay whole. */
        (void)!write(STDERR_FILENO, line, n);
}
