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
#include <unistd.h>

static int max_level = LOG_LEVEL_INFO;

void log_set_level(int level)
{
        max_level = level;
}

int log_parse_level(const char *s)
{
        static const struct {
                const char *name;
                int level;
        } names[] = {
                { "error", LOG_LEVEL_ERROR },
                { "warning", LOG_LEVEL_WARNING },
                { "info", LOG_LEVEL_INFO },
                { "debug", LOG_LEVEL_DEBUG },
        };

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (strcmp(s, names[i].name) == 0)
                        return names[i].level;
        return -1;
}

static const char *level_name(int level)
{
        switch (level) {
        case LOG_LEVEL_ERROR:
                return "error";
        case LOG_LEVEL_WARNING:
                return "warning";
        case LOG_LEVEL_INFO:
                return "info";
        default:
                return "debug";
        }
}

void log_msg(int level, const char *fmt, ...)
{
        char text[1024], line[2200];
        size_t n = 0;
        va_list ap;

        if (level > max_level)
                return;
        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
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
