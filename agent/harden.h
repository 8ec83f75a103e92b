/* SPDX-License-Identifier: MIT */
/*
 * harden.h - process hardening applied once at start: no core files, not
 * dumpable (no ptrace attach by same-uid processes), restrictive umask,
 * standard descriptors present.
 */
#pragma once

/* harden_process() - apply all of the above.  Return: 0 or -errno. */
int harden_process(void);

/*
 * harden_raise_nofile() - raise the soft RLIMIT_NOFILE to the hard limit
 * (systemd starts services with a soft limit of 1024 and a much larger hard
 * one; select() is not used anywhere, so nothing needs the low soft limit).
 * @limitp: receives the soft limit now in force
 * Return: 0 or -errno (the limit is then unchanged, and still reported).
 */
int harden_raise_nofile(unsigned long *limitp);
