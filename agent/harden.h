/* SPDX-License-Identifier: MIT */
/*
 * harden.h - process hardening applied once at start: no core files, not
 * dumpable (no ptrace attach by same-uid processes), restrictive umask,
 * standard descriptors present.
 */
#pragma once

/* harden_process() - apply all of the above.  Return: 0 or -errno. */
int harden_process(void);
