/* SPDX-License-Identifier: MIT */
/* policy-cli-driver.c - a main() around cmd_policy() so the tests can run
 * `rolectl policy` without the rest of rolectl: argv[1..] are its arguments. */
#include "cmd-policy.h"

int main(int argc, char **argv)
{
        argv[0] = "policy";
        return cmd_policy(argc, argv);
}
