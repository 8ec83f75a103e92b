/* SPDX-License-Identifier: MIT */
/*
 * civil.h - proleptic Gregorian calendar arithmetic in UTC: day numbers from
 * and to civil dates, and the one ISO-8601 formatter ("YYYY-MM-DDTHH:MM:SSZ")
 * that the agent, libroled and rolectl print. Pure arithmetic: no time zone
 * database, no locale, so rolectl's credential_process path never loads
 * /etc/localtime. Parsing dates stays with the grammar that needs it (SigV4,
 * policy conditions).
 */
#pragma once

#include <stdint.h>

/* "YYYY-MM-DDTHH:MM:SSZ" and its NUL. */
#define CIVIL_ISO8601_SIZE 21

/* The range the four-digit year of ISO-8601 covers: 0000-01-01 .. 9999-12-31T23:59:59. */
#define CIVIL_ISO8601_MIN (-62167219200LL)
#define CIVIL_ISO8601_MAX 253402300799LL

/*
 * civil_to_days() - days since 1970-01-01 of year @y, month @m (1..12), day @d.
 * The caller has checked @m and @d; any @y works.
 */
int64_t civil_to_days(int64_t y, int m, int d);

/* civil_from_days() - the civil date of @days since 1970-01-01. */
void civil_from_days(int64_t days, int64_t *yp, int *mp, int *dp);

/*
 * civil_format_iso8601() - @t (seconds since the epoch) as UTC "YYYY-MM-DDTHH:MM:SSZ".
 * Return: 0, or -ERANGE (and @buf untouched) outside CIVIL_ISO8601_MIN..MAX.
 */
int civil_format_iso8601(int64_t t, char buf[CIVIL_ISO8601_SIZE]);
