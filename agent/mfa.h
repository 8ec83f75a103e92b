/* SPDX-License-Identifier: MIT */
/*
 * mfa.h - get an MFA code from the configured mfa_process: run the command
 * on the loop (uv_spawn: absolute path, arguments split on spaces, no
 * shell, stdin closed, stderr to the agent's), read at most a line from its
 * standard output, and hand back six digits.  What the code is for is
 * issuer_aws.c's business.
 */
#pragma once

#include <uv.h>

#define MFA_TIMEOUT_MS 60000 /* a human may be asked: one minute */
#define MFA_OUTPUT_MAX 64
#define MFA_ARGS_MAX 16

enum {
        MFA_E_FAILED =
                1, /* the command failed, timed out or printed no six-digit code; see the message */
};

typedef struct MfaRun MfaRun;

/*
 * MfaDone - the outcome, called once from the loop.
 * @r: 0 (@code holds six digits and a NUL; wiped after the call),
 *     MFA_E_FAILED (@why says what happened) or -ECANCELED (mfa_cancel())
 */
typedef void (*MfaDone)(void *userdata, int r, const char *code, const char *why);

/*
 * mfa_run() - start @command.
 * Return: 0 (@done will be called; *@runp until then), -EINVAL (an empty
 * command or more than MFA_ARGS_MAX words), -ENOMEM or a uv_spawn() error.
 */
int mfa_run(uv_loop_t *loop, const char *command, MfaDone done, void *userdata, MfaRun **runp);

/* mfa_cancel() - kill the command; @done is called with -ECANCELED at once. */
void mfa_cancel(MfaRun *run);
