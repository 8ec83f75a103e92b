/* SPDX-License-Identifier: MIT */
/*
 * configlint.h - `roled --check-config`'s second opinion: the policy linter's
 * warnings about each role's permissions and trust documents (over-broad
 * grants, dated Versions, ...).  Loading already refused every error; this only
 * reports, it never fails a configuration.
 */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "config.h"

/*
 * configlint_print() - one "warning: FILE: WHERE: CODE: message" line on @f
 * per lint finding in @c's policy documents.
 * @n_warningsp: receives how many lines were printed
 * Return: 0 or -ENOMEM.
 */
int configlint_print(const Config *c, FILE *f, size_t *n_warningsp);
