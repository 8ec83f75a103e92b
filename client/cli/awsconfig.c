/* SPDX-License-Identifier: MIT */
/*
 * awsconfig.c - replace rolectl's profiles in the text of an AWS shared
 * config file, keeping every other line byte for byte (awsconfig.h).
 */
#include "awsconfig.h"

#include <string.h>

/* A line of the text: [p, p + len) without its newline. */
typedef struct Line {
        const char *p;
        size_t len;
        size_t next; /* offset of the following line */
} Line;

static bool next_line(const char *s, size_t n, size_t at, Line *l)
{
        const char *nl;

        if (at >= n)
                return false;
        nl = memchr(s + at, '\n', n - at);
        l->p = s + at;
        l->len = nl ? (size_t)(nl - (s + at)) : n - at;
        l->next = nl ? (size_t)(nl - s) + 1 : n;
        return true;
}

static size_t skip_blanks(const char *p, size_t len, size_t i)
{
        while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
                i++;
        return i;
}

/*
 * section_name() - if @l is a section header ("[profile x]", "[ default ]"),
 * its profile name ("x", "default") in [*@namep, +*@name_lenp).
 */
static bool section_name(const Line *l, const char **namep, size_t *name_lenp)
{
        size_t i = skip_blanks(l->p, l->len, 0), end;

        if (i >= l->len || l->p[i] != '[')
                return false;
        i = skip_blanks(l->p, l->len, i + 1);
        end = i;
        while (end < l->len && l->p[end] != ']')
                end++;
        if (end >= l->len)
                return false;
        while (end > i && (l->p[end - 1] == ' ' || l->p[end - 1] == '\t'))
                end--;
        if (end - i > 8 && !memcmp(l->p + i, "profile", 7) &&
            (l->p[i + 7] == ' ' || l->p[i + 7] == '\t'))
                i = skip_blanks(l->p, end, i + 8);
        *namep = l->p + i;
        *name_lenp = end - i;
        return true;
}

static bool is_marker(const Line *l)
{
        size_t n = strlen(AWSCONFIG_MARKER);

        return l->len >= n && !memcmp(l->p, AWSCONFIG_MARKER, n);
}

static bool is_blank(const char *p, size_t len)
{
        return skip_blanks(p, len, 0) == len;
}

size_t awsconfig_merge(const char *old, size_t old_len, AwsProfile *profiles, size_t n_profiles,
                       JsonBuf *out)
{
        JsonBuf kept = JSON_BUF_INIT;
        bool is_ours = false;
        size_t at = 0, end, n_written = 0;
        Line l;

        for (size_t k = 0; k < n_profiles; k++)
                profiles[k].is_skipped = false;
        while (next_line(old, old_len, at, &l)) {
                const char *name;
                size_t name_len;

                if (section_name(&l, &name, &name_len)) {
                        Line m;

                        is_ours = next_line(old, old_len, l.next, &m) && is_marker(&m);
                        for (size_t k = 0; !is_ours && k < n_profiles; k++)
                                if (strlen(profiles[k].name) == name_len &&
                                    !memcmp(profiles[k].name, name, name_len))
                                        profiles[k].is_skipped = true;
                }
                if (!is_ours) {
                        json_raw(&kept, l.p, l.len);
                        json_raw(&kept, "\n", 1);
                }
                at = l.next;
        }
        /* Blank lines at the end go: the blank line before our sections is ours to add. */
        end = kept.len;
        while (end > 0) {
                size_t start = end - 1;

                while (start > 0 && kept.data[start - 1] != '\n')
                        start--;
                if (!is_blank(kept.data + start, end - 1 - start))
                        break;
                end = start;
        }
        json_raw(out, kept.data ? kept.data : "", end);
        json_buf_deinit(&kept);
        for (size_t k = 0; k < n_profiles; k++) {
                if (profiles[k].is_skipped)
                        continue;
                if (out->len > 0)
                        json_raw(out, "\n", 1);
                json_rawz(out, "[profile ");
                json_rawz(out, profiles[k].name);
                json_rawz(out, "]\n" AWSCONFIG_MARKER "; rerun it to update, edits here are lost\n"
                               "credential_process = ");
                json_rawz(out, profiles[k].command);
                json_raw(out, "\n", 1);
                n_written++;
        }
        return n_written;
}
