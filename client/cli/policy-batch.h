/* SPDX-License-Identifier: MIT */
/*
 * policy-batch.h - `rolectl policy eval --batch`: JSON requests on stdin, one
 * per line, answered in order on stdout by the policy engine.
 */
#pragma once

/*
 * policy_batch_run() - answer every request line of stdin on stdout.
 *
 * Return: 0; -EIO when writing stdout failed; -errno when reading stdin did
 * (answers so far have been written).
 */
int policy_batch_run(void);
