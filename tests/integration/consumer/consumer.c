/* SPDX-License-Identifier: MIT */
/*
 * consumer.c - a program outside the roled tree that links the installed
 * libroled, once through pkg-config and once through find_package(roled).
 * It asks for credentials from a socket path that has no agent and checks
 * the library answers ROLED_E_NO_AGENT with its documented message.
 */
#include <roled/roled.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
        roled_client_options opts = ROLED_CLIENT_OPTIONS_INIT;
        roled_error err = ROLED_ERROR_INIT;
        roled_client *c = NULL;
        roled_status st;

        if (argc != 2)
                return 2;
        opts.socket_path = argv[1];
        st = roled_client_connect(&opts, &c, &err);
        if (st != ROLED_E_NO_AGENT || c != NULL || err.status != st ||
            !strstr(roled_error_message(&err), argv[1])) {
                fprintf(stderr, "expected ROLED_E_NO_AGENT, got %d\n", (int)st);
                return 1;
        }
        roled_error_clear(&err);
        if (!*roled_version())
                return 1;
        if (strlen(roled_strerror(st)) == 0 ||
            strcmp(roled_strerror(ROLED_OK), roled_strerror(st)) == 0)
                return 1;
        printf("consumer: %s\n", roled_strerror(st));
        return 0;
}
