#!/usr/bin/python3 -I
# SPDX-License-Identifier: MIT
"""bench-aws.py - the aws issuer's speed targets, against the fake STS of tests/aws.

  1. a cached GetCredentials answer for an aws role vs a local role: the same
     client, connection and request count (N requests pipelined in batches of
     64, three interleaved runs), the agent's CPU time per request (from
     /proc) and the wall time per request reported for both;
  2. 1,000 concurrent first-time askers of one role and identity, upstream
     answering in 50 ms: wall time from the first request sent to the last
     answer read, and the number of upstream calls (target: < 200 ms, 1 call);
  3. 100 distinct identities (uids 30000..30099, one process each) asking at
     once, upstream 50 ms: wall time and how many STS calls were in progress
     at once (target: 100 calls in parallel, not in series: ~50 ms, not 5 s);
     then again (uids 31000..31099) with the upstream answering in 1 s, long
     enough for the Python fake to finish every TLS handshake while the
     first calls are still held, so the peak shows the agent's parallelism
     rather than the fake's (~1 s in all, not 100 s).

Run as root from the source tree with a built agent:
    ROLED_BIN=build/release/agent/roled ROLECTL_BIN=build/release/client/cli/rolectl \\
        tests/bench/bench-aws.py
It reports; it never fails on a missed target.
"""
import os
import resource
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "aws"))

import awsenv  # noqa: E402
from awsenv import ACCOUNT, AwsTestCase, Client, role_ini  # noqa: E402

ARN = f"arn:aws:iam::{ACCOUNT}:role/bench"
N_CACHED = int(os.environ.get("BENCH_CACHED", "20000"))


class Bench(AwsTestCase):
    roles = {
        "10-aws.ini": role_ini("aws", ARN, extra_aws="session_policy = none\n"),
        "11-first.ini": role_ini("first", ARN, extra_aws="session_policy = none\n"),
        "12-many.ini": role_ini("many30000", ARN, extra_aws="session_policy = none\n"),
        "13-many.ini": role_ini("many31000", ARN, extra_aws="session_policy = none\n"),
        "20-local.ini": "[role]\nname = local\n\n[trust]\nuids = 0-65535\n",
    }
    sts_roles = {ARN: 3600}


def cached(b, role):
    c = Client(b.socket)
    c.call("GetCredentials", role=role)
    start = time.perf_counter()
    done = 0
    while done < N_CACHED:
        ids = [c.send("GetCredentials", role=role) for _ in range(min(64, N_CACHED - done))]
        for i in ids:
            err, _ = c.recv(i)
            assert err is None, err
        done += len(ids)
    elapsed = time.perf_counter() - start
    c.close()
    return elapsed / N_CACHED * 1e6


def first_time(b, n):
    clients = [Client(b.socket) for _ in range(n)]
    for c in clients:
        c.call("GetCallerIdentity")      # attested and read: only GetCredentials is timed
    b.sts.reset()
    b.sts.delay = 0.05
    start = time.perf_counter()
    ids = [c.send("GetCredentials", role="first") for c in clients]
    keys = set()
    for c, i in zip(clients, ids):
        err, r = c.recv(i)
        assert err is None, err
        keys.add(r["accessKeyId"])
    elapsed = time.perf_counter() - start
    for c in clients:
        c.close()
    return elapsed * 1e3, b.sts.count("AssumeRole"), len(keys)


def agent_cpu(b):
    """CPU seconds the agent has used (user + system)."""
    with open(f"/proc/{b.proc.pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def distinct(b, n, delay, first_uid=30000):
    """n children of distinct uids, all connected and attested, then released at once."""
    b.sts.reset()
    b.sts.delay = delay
    go_r, go_w = os.pipe()
    ready_r, ready_w = os.pipe()
    done_r, done_w = os.pipe()
    pids = []
    for k in range(n):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                os.close(go_w)
                uid = first_uid + k
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
                c = Client(b.socket)
                c.call("GetCallerIdentity")
                os.write(ready_w, b"r")
                os.read(go_r, 1)
                err, _ = c.recv(c.send("GetCredentials", role=f"many{first_uid}"))
                os.write(done_w, b"k" if err is None else b"x")
                code = 0
            finally:
                os._exit(code)
        pids.append(pid)
    for _ in range(n):
        os.read(ready_r, 1)
    cpu0 = agent_cpu(b), time.process_time()
    start = time.perf_counter()
    os.write(go_w, b"g" * n)
    results = b""
    while len(results) < n:
        results += os.read(done_r, n - len(results))
    elapsed = time.perf_counter() - start
    b.cpu = (agent_cpu(b) - cpu0[0], time.process_time() - cpu0[1])
    for pid in pids:
        os.waitpid(pid, 0)
    arrivals = sorted(b.sts.arrivals)
    spread = (arrivals[-1] - arrivals[0]) * 1e3 if arrivals else 0
    return (elapsed * 1e3, b.sts.count("AssumeRole"), b.sts.max_concurrent,
            results.count(b"k"), spread)


def main():
    awsenv.require()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(8192, hard), hard))
    Bench.aws_extra = ""
    Bench.setUpClass()
    try:
        b = Bench
        # Interleaved, best of three each: the machine may be shared.
        local_us, aws_us, local_cpu, aws_cpu = [], [], 0.0, 0.0
        for _ in range(3):
            c0 = agent_cpu(b)
            local_us.append(cached(b, "local"))
            c1 = agent_cpu(b)
            aws_us.append(cached(b, "aws"))
            local_cpu += c1 - c0
            aws_cpu += agent_cpu(b) - c1
        n = 3 * N_CACHED
        print(f"cached GetCredentials, {N_CACHED} requests pipelined by 64 on one connection, 3 "
              f"interleaved runs: agent CPU local {local_cpu / n * 1e6:.2f} us/request, aws "
              f"{aws_cpu / n * 1e6:.2f} us/request; wall time (best run, the Python client "
              f"included; aws replies carry the fake's longer token) local {min(local_us):.1f} "
              f"us/request, aws {min(aws_us):.1f} us/request")
        ms, calls, keys = first_time(b, 1000)
        print(f"1000 concurrent first-time askers, one identity, upstream 50 ms: {ms:.0f} ms in "
              f"total, {calls} upstream call(s), {keys} distinct credential set(s) "
              f"(target < 200 ms, 1 call)")
        for delay, first_uid in ((0.05, 30000), (1.0, 31000)):
            ms, calls, peak, ok, spread = distinct(b, 100, delay, first_uid)
            print(f"100 distinct identities at once, upstream {delay * 1e3:.0f} ms: {ms:.0f} ms in "
                  f"total, {calls} upstream calls, all {len(b.sts.arrivals)} requests at the fake "
                  f"STS within {spread:.0f} ms of each other, at most {peak} in progress at once "
                  f"there, {ok} answered (in series it would take >= {100 * delay * 1e3:.0f} ms); "
                  f"CPU meanwhile: agent {b.cpu[0] * 1e3:.0f} ms, fake STS and bench "
                  f"{b.cpu[1] * 1e3:.0f} ms; load average {os.getloadavg()[0]:.1f} on "
                  f"{os.cpu_count()} CPUs")
    finally:
        Bench.tearDownClass()


if __name__ == "__main__":
    main()
