/* SPDX-License-Identifier: MIT */
/*
 * cli-json.c - the --json output of the subcommands that build it with
 * jansson: indented, in insertion order, one newline after.  The objects are
 * built by each cmd-<name>.c; credential_process never comes here.
 */
#include "cli-json.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_print_json(json_t *o)
{
        int r = o ? json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : -1;

        json_decref(o);
        if (r < 0 || putchar('\n') == EOF) {
                cli_error("writing to standard output failed");
                return EXIT_DENIED;
        }
        return EXIT_OK;
}

int cli_emit_json(json_t *o)
{
        char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        int r;

        json_decref(o);
        if (!text) {
                cli_error("out of memory");
                return EXIT_DENIED;
        }
        r = cli_write_all(STDOUT_FILENO, text, strlen(text));
        if (r == 0)
                r = cli_write_all(STDOUT_FILENO, "\n", 1);
        explicit_bzero(text, strlen(text));
        free(text);
        if (r < 0) {
                cli_error("writing to standard output: %s", strerror(-r));
                return EXIT_DENIED;
        }
        return EXIT_OK;
}
