#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# test-policy-cli.py - `rolectl policy` end to end through policy-cli-driver:
# every corpus in tests/data/policy/ through --batch (which must echo ids,
# answer in order and keep going after bad lines), eval from files (human and
# JSON output, exit statuses) and validate (lint findings, exit statuses).
import json
import os
import subprocess
import sys
import tempfile

driver, datadir = sys.argv[1], sys.argv[2]
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what)


def run(args, stdin=None):
    p = subprocess.run([driver] + args, input=stdin, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


# 1. Corpora through --batch.
n_cases = 0
for name in sorted(os.listdir(datadir)):
    if not name.endswith(".jsonl"):
        continue
    lines = [l for l in open(os.path.join(datadir, name)) if l.strip() and not l.startswith("//")]
    cases = [json.loads(l) for l in lines]
    rc, out, err = run(["eval", "--batch"], "".join(lines))
    check(rc == 0, f"{name}: batch exit {rc}: {err}")
    answers = [json.loads(l) for l in out.splitlines()]
    check(len(answers) == len(cases), f"{name}: {len(answers)} answers for {len(cases)} requests")
    for c, a in zip(cases, answers):
        n_cases += 1
        check(a.get("id") == c["id"], f"{name}: id {a.get('id')!r} != {c['id']!r}")
        if c["expect"] == "error":
            check("error" in a and a["error"]["code"] == "MalformedPolicyDocument",
                  f"{name}:{c['id']}: expected MalformedPolicyDocument, got {a}")
            continue
        check(a.get("decision") == c["expect"], f"{name}:{c['id']}: expected {c['expect']}, got {a}")
        m = a.get("matched")
        if "expectStatement" in c:
            check(m is not None and m["statement"] == c["expectStatement"], f"{name}:{c['id']}: matched {m}")
        if c["expect"] == "implicit-deny" and c.get("expectPolicy") != -2:
            check(m is None, f"{name}:{c['id']}: implicit deny should have matched null, got {m}")
        if c.get("expectPolicy") == -2:
            check(m is not None and m["policy"] == "session", f"{name}:{c['id']}: expected session, got {m}")
check(n_cases > 100, f"only {n_cases} corpus cases ran")

# 1b. The batch reads most lines with its own scanner and the rest (escaped or duplicate
# keys, broken JSON) through a jansson tree: the same requests, forced the general way by
# an escaped key, get the same answers. The policy cache is also exercised: every corpus
# repeats documents across lines.
for name in sorted(os.listdir(datadir)):
    if not name.endswith(".jsonl"):
        continue
    lines = [l.strip() for l in open(os.path.join(datadir, name)) if l.strip() and not l.startswith("//")]
    slow = [l.replace('"policies":', '"polic\\u0069es":', 1) for l in lines]
    check(all(a != b for a, b in zip(lines, slow)), f"{name}: not every line has a policies key")
    rc1, out1, _ = run(["eval", "--batch"], "\n".join(lines) + "\n")
    rc2, out2, _ = run(["eval", "--batch"], "\n".join(slow) + "\n")
    check(rc1 == 0 and rc2 == 0 and out1 == out2, f"{name}: scanner and tree answers differ")

# 2. Batch robustness: a bad line gets an error and the batch continues; ids echo as given.
pol = {"Version": "2012-10-17", "Statement": [{"Sid": "R", "Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]}
req = lambda i, a: json.dumps({"id": i, "policies": [pol], "action": a, "resource": "arn:aws:s3:::b/k"})
batch = "\n".join([req({"n": 1}, "s3:GetObject"), "{not json", req(None, "s3:PutObject"),
                   json.dumps({"id": 7, "policies": "nope", "action": "a:b", "resource": "x"}),
                   "", req("last", "s3:GetObject")]) + "\n"
rc, out, err = run(["eval", "--batch"], batch)
ans = [json.loads(l) for l in out.splitlines()]
check(rc == 0 and len(ans) == 5, f"batch robustness: rc {rc}, {len(ans)} answers: {out}")
if len(ans) == 5:
    check(ans[0] == {"id": {"n": 1}, "decision": "allow", "matched": {"policy": 0, "statement": 0, "sid": "R"}},
          f"answer 0: {ans[0]}")
    check("error" in ans[1] and ans[1]["id"] is None, f"answer 1: {ans[1]}")
    check(ans[2] == {"id": None, "decision": "implicit-deny", "matched": None}, f"answer 2: {ans[2]}")
    check(ans[3]["id"] == 7 and ans[3]["error"]["code"] == "InvalidParameterValue", f"answer 3: {ans[3]}")
    check(ans[4]["id"] == "last" and ans[4]["decision"] == "allow", f"answer 4: {ans[4]}")

# 2b. Lines that break: the answer names the line and, when it can still be read, the id.
batch = "\n".join(['{"id": "broken", "policies": [}', '{"id": {"n": 5}, "action": "a:b", "policies": [1,}',
                    'garbage', req("fine", "s3:GetObject")]) + "\n"
rc, out, err = run(["eval", "--batch"], batch)
ans = [json.loads(l) for l in out.splitlines()]
check(rc == 0 and len(ans) == 4, f"broken lines: rc {rc}: {out}")
if len(ans) == 4:
    check(ans[0]["id"] == "broken" and ans[0]["line"] == 1 and "line 1 column" in ans[0]["error"]["message"],
          f"broken 0: {ans[0]}")
    check(ans[1]["id"] == {"n": 5} and ans[1]["line"] == 2, f"broken 1: {ans[1]}")
    check(ans[2]["id"] is None and ans[2]["line"] == 3 and "error" in ans[2], f"broken 2: {ans[2]}")
    check(ans[3] == {"id": "fine", "decision": "allow", "matched": {"policy": 0, "statement": 0, "sid": "R"}},
          f"broken 3: {ans[3]}")

# 2c. Over-limit requests name the limit they broke; a request at the limits is decided.
like = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"StringLike": {"k": "*" + "a" * 20000 + "b"}}}]}
lim = lambda i, ctx, res="*": json.dumps({"id": i, "policies": [like], "action": "a:b", "resource": res, "context": ctx})
batch = "\n".join([lim("long", {"k": "a" * (1 << 20)}), lim("values", {"k": ["x"] * 1025}),
                    lim("keys", {f"k{i}": "x" for i in range(257)}), lim("bytes", {f"k{i}": "a" * 4096 for i in range(65)}),
                    lim("resource", {}, "arn:" + "x" * 2100), lim("at-limits", {"k": ["a" * 4096] * 60})]) + "\n"
rc, out, err = run(["eval", "--batch"], batch)
ans = {a["id"]: a for a in map(json.loads, out.splitlines())}
for i, limit in [("long", "POLICY_VALUE_MAX"), ("values", "POLICY_CONTEXT_VALUES_MAX"), ("keys", "POLICY_CONTEXT_KEYS_MAX"),
                 ("bytes", "POLICY_CONTEXT_BYTES_MAX"), ("resource", "POLICY_RESOURCE_MAX")]:
    a = ans.get(i, {})
    check(a.get("error", {}).get("code") == "InvalidParameterValue" and limit in a["error"]["message"]
          and "must be strings" not in a["error"]["message"], f"limit {i}: {a}")
check(ans.get("at-limits", {}).get("decision") == "implicit-deny", f"at limits: {ans.get('at-limits')}")

# 2c'. A decision that needs more matching work than POLICY_WORK_MAX is refused, with no decision to
# misread: 4,000 patterns of a Deny (the last would match) against 60 values of 4 KiB. The next line
# is answered as usual.
costly = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
          {"Effect": "Deny", "Action": "*", "Resource": "*",
           "Condition": {"ForAnyValue:StringLike": {"k": ["*z%04d*" % i for i in range(4000)] + ["*a*"]}}}]}
line = lambda i, ctx: json.dumps({"id": i, "policies": [costly], "action": "a:b", "resource": "*", "context": ctx})
rc, out, err = run(["eval", "--batch"], line("costly", {"k": ["a" * 4096] * 60}) + "\n" + line("cheap", {"k": "xa"}) + "\n")
ans = {a["id"]: a for a in map(json.loads, out.splitlines())}
c = ans.get("costly", {})
check(rc == 0 and c.get("error", {}).get("code") == "EvaluationLimitExceeded" and "POLICY_WORK_MAX" in c["error"]["message"]
      and "decision" not in c, f"work limit: {c}")
check(ans.get("cheap", {}).get("decision") == "explicit-deny", f"after the work limit: {ans.get('cheap')}")

# 2d. Numbers, in the context and in a policy, are their JSON text.
num = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
       "Condition": {"StringEquals": {"k": 3.14}}}]}
rc, out, err = run(["eval", "--batch"], '{"id": 1, "policies": [%s], "action": "a:b", "resource": "*", "context": {"k": 3.14}}\n'
                   % json.dumps(num))
check(rc == 0 and json.loads(out)["decision"] == "allow", f"number text: {out}")

with tempfile.TemporaryDirectory() as tmp:
    def write(name, obj):
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            f.write(obj if isinstance(obj, str) else json.dumps(obj, indent=2))
        return path

    s3 = write("s3.json", {"Version": "2012-10-17", "Statement": [
        {"Sid": "List", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b"},
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"},
        {"Sid": "AllowRead", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
        {"Sid": "NoSecrets", "Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::b/secret/*"}]})
    sess = write("session.json", {"Version": "2012-10-17",
                                  "Statement": {"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}})

    # 3. eval from files: human output names the policy file and statement.
    rc, out, err = run(["eval", "--policy", s3, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/x"])
    check(rc == 0 and out.strip() == f'allow (policy {s3}, Statement[2] "AllowRead")', f"eval human: {rc} {out!r} {err}")
    rc, out, err = run(["eval", "--policy", s3, "--action", "s3:GetObject", "--resource", "arn:aws:s3:::b/secret/x"])
    check(rc == 0 and out.startswith(f'explicit-deny (policy {s3}, Statement[3] "NoSecrets")'), f"eval deny: {out!r}")
    rc, out, err = run(["eval", "--policy", s3, "--action", "s3:PutObject", "--resource", "arn:aws:s3:::b/alice/x",
                        "--context", "aws:username=alice", "--json"])
    check(rc == 0 and json.loads(out)["decision"] == "allow" and json.loads(out)["matched"]["statement"] == 1,
          f"eval context json: {out!r} {err}")
    rc, out, err = run(["eval", "--policy", s3, "--action", "s3:PutObject", "--resource", "arn:aws:s3:::b/alice/x",
                        "--context", "aws:username=bob"])
    check(rc == 0 and out.startswith("implicit-deny"), f"eval implicit: {out!r}")
    rc, out, err = run(["eval", "--policy", s3, "--session-policy", sess, "--action", "s3:GetObject",
                        "--resource", "arn:aws:s3:::b/x", "--exit-status"])
    check(rc == 1 and "session policy" in out, f"eval session: {rc} {out!r}")
    rc, out, err = run(["eval", "--policy", s3, "--session-policy", sess, "--action", "s3:ListBucket",
                        "--resource", "arn:aws:s3:::b", "--exit-status"])
    check(rc == 0 and out.startswith("allow"), f"eval session allow: {rc} {out!r}")

    # 4. Bad input: exit 2 and exactly one line on stderr.
    bad = write("bad.json", '{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", '
                            '"Resource": "*", "Condition": {"StringEqulas": {"k": "v"}}}}')
    for args, what in [(["eval", "--policy", os.path.join(tmp, "missing.json"), "--action", "a:b", "--resource", "*"], "missing file"),
                       (["eval", "--policy", bad, "--action", "a:b", "--resource", "*"], "malformed policy"),
                       (["eval", "--policy", s3, "--resource", "*"], "missing --action"),
                       (["eval", "--policy", s3, "--action", "a:b", "--resource", "*", "--context", "novalue"], "bad context"),
                       (["frobnicate"], "unknown command")]:
        rc, out, err = run(args)
        check(rc == 2 and len(err.strip().splitlines()) == 1, f"{what}: rc {rc}, stderr {err!r}")
    rc, out, err = run(["eval", "--policy", s3, "--action", "a:b", "--resource", "arn:" + "x" * 2100])
    check(rc == 2 and "POLICY_RESOURCE_MAX" in err, f"long resource: {rc} {err!r}")
    rc, out, err = run(["eval", "--policy", s3, "--action", "a:b", "--resource", "*", "--context", "k=" + "x" * 5000])
    check(rc == 2 and "POLICY_VALUE_MAX" in err, f"long context value: {rc} {err!r}")
    costly_file = write("costly.json", costly)
    for flags in [[], ["--exit-status"], ["--json"]]:
        rc, out, err = run(["eval", "--policy", costly_file, "--action", "a:b", "--resource", "*"] + flags +
                           sum([["--context", "k=" + "a" * 4096] for _ in range(60)], []))
        check(rc == 2 and out == "" and "EvaluationLimitExceeded" in err and "POLICY_WORK_MAX" in err,
              f"work limit {flags}: rc {rc}, out {out!r}, stderr {err!r}")
    rc, out, err = run(["eval", "--policy", bad, "--action", "a:b", "--resource", "*"])
    check("MalformedPolicyDocument" in err and "Statement[0].Condition.StringEqulas" in err, f"malformed message: {err!r}")
    big = write("big.json", " " * 140000)
    rc, out, err = run(["eval", "--policy", big, "--action", "a:b", "--resource", "*"])
    check(rc == 2 and "131072" in err, f"too large: {rc} {err!r}")

    # 5. validate: warnings keep exit 0, errors exit 1, --json is machine-readable.
    rc, out, err = run(["validate", s3])
    check(rc == 0 and "0 error(s), 0 warning(s)" in out, f"validate clean: {rc} {out!r}")
    broad = write("broad.json", {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    rc, out, err = run(["validate", broad])
    check(rc == 0 and "OverBroadGrant" in out and "MissingVersion" in out, f"validate warnings: {rc} {out!r}")
    rc, out, err = run(["validate", bad, "--json"])
    j = json.loads(out) if out.strip() else {}
    check(rc == 1 and j.get("valid") is False and j["findings"][0]["code"] == "UnknownConditionOperator"
          and j["findings"][0]["statement"] == 0, f"validate error json: {rc} {out!r}")
    syn = write("syntax.json", '{\n  "Statement": [\n    {"Effect": "Allow",,}\n]}')
    rc, out, err = run(["validate", syn])
    check(rc == 1 and f"{syn}:3:" in out and "SyntaxError" in out, f"validate syntax: {rc} {out!r}")
    trust = write("trust.json", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Local": ["user:alice"]}, "Action": "sts:AssumeRole"}]})
    rc, out, err = run(["validate", trust, "--identity"])
    check(rc == 0 and "PrincipalInIdentityPolicy" in out, f"validate identity: {rc} {out!r}")
    rc, out, err = run(["validate", s3, "--trust"])
    check(rc == 1 and "MissingPrincipal" in out, f"validate trust: {rc} {out!r}")
    rc, out, err = run(["validate"])
    check(rc == 2, f"validate usage: {rc}")
    # Every error of a document, not only the compiler's first: one per broken statement,
    # a document-level one besides them, and every unknown operator.
    many = write("many.json", {"Version": "2012-10-17", "Bogus": 1, "Statement": [
        {"Effect": "Allwo", "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
         "Condition": {"StringEqualz": {"a": "b"}, "NumericEqualz": {"n": "1"}}},
        {"Effect": "Deny", "Actoin": "x:y", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]})
    rc, out, err = run(["validate", many, "--json"])
    j = json.loads(out) if out.strip() else {}
    got = sorted((-1 if f["statement"] is None else f["statement"], f["code"])
                 for f in j.get("findings", []) if f["severity"] == "error")
    want = sorted([(-1, "UnknownElement"), (0, "InvalidEffect"), (1, "UnknownConditionOperator"),
                   (1, "UnknownConditionOperator"), (2, "UnknownElement")])
    check(rc == 1 and got == want and j.get("errors") == 5, f"validate every error: {rc} {got} {out!r}")
    rc, out, err = run(["validate", many])
    check(rc == 1 and "Statement[2].Actoin" in out and "Statement[0].Effect" in out and "Bogus" in out,
          f"validate every error, text: {rc} {out!r}")

print(f"{n_cases} corpus cases through the CLI, {failures} failure(s)")
sys.exit(1 if failures else 0)
