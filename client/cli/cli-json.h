/* SPDX-License-Identifier: MIT */
/*
 * cli-json.h - printing a jansson object, for the subcommands whose --json
 * output is built with jansson.  Kept apart from cli.h so that cli.c, which
 * credential_process runs through, stays free of the JSON library.
 */
#pragma once

#include <jansson.h>

/*
 * cli_print_json() - @o indented (keys in insertion order) and a newline on
 * stdout.  Takes @o, which may be NULL (a failed json_pack()).
 * Return: EXIT_OK, or EXIT_DENIED after one stderr line.
 */
int cli_print_json(json_t *o);

/*
 * cli_emit_json() - like cli_print_json(), for objects that hold secrets: the
 * text is written with write() and wiped before it is freed.  Takes @o, which
 * may be NULL.
 * Return: EXIT_OK, or EXIT_DENIED after one stderr line.
 */
int cli_emit_json(json_t *o);
