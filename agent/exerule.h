/* SPDX-License-Identifier: MIT */
/*
 * exerule.h - what the paths of a trust section's exe rules name: the device
 * and inode of each file in the agent's own mount namespace, resolved when
 * the configuration is loaded and again, at most once a second, when a
 * process's executable matches none of them (the file was replaced, say by
 * a package upgrade).  Comparing (device, inode) and never the path is what
 * makes a bind mount in another namespace useless to an impostor.
 * Deciding trust is trust.c's business, reading the peer's executable
 * identity.c's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define EXERULE_REFRESH_NS 1000000000ull /* at most one re-resolution per second per rule set */

/* ExeRules - the resolved identities of one section's exe paths (the paths are borrowed). */
typedef struct ExeRules ExeRules;

/*
 * exerule_new() - resolve @paths now.
 * @rulesp: receives the rules; the caller owns them (exerule_free())
 * @paths: the section's exe paths; borrowed, must outlive the rules
 * @n: number of paths
 * Return: 0 or -ENOMEM.  A path that does not exist is not an error: it
 * matches nothing until it exists (exerule_is_resolved() tells).
 */
int exerule_new(ExeRules **rulesp, char *const *paths, size_t n);

/* exerule_free() - free @rules (NULL is fine).  Return: NULL. */
ExeRules *exerule_free(ExeRules *rules);

/*
 * exerule_match() - is (@dev, @ino) the file one of the paths names?
 * @ctime: the status-change time of that file
 * On a miss the paths are resolved again (stat(), in the agent's mount
 * namespace) when the file changed after the last resolution (a program
 * installed since), or that resolution is EXERULE_REFRESH_NS old: a caller
 * cannot make the agent stat() the paths again and again without making
 * new files.  Loop thread only.  NULL @rules matches nothing.
 */
bool exerule_match(ExeRules *rules, dev_t dev, ino_t ino, const struct timespec *ctime);

/* exerule_is_resolved() - did path @i exist when last resolved? */
bool exerule_is_resolved(const ExeRules *rules, size_t i);
