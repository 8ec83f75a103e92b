#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""test-bash-completion ROLECTL COMPLETION-FILE: the bash completion offers
exactly rolectl's commands, and for each command exactly the long options its
--help lists under OPTIONS (policy: its usage lines), plus the global ones."""
import re
import subprocess
import sys

rolectl, completion = sys.argv[1], sys.argv[2]
GLOBALS = {"--socket", "--verbose", "--version", "--help"}  # --json is each command's
failures = []


def run(*args):
    return subprocess.run([rolectl, *args], capture_output=True, text=True, check=True).stdout


def complete(words):
    """COMPREPLY for the command line `words` (the last word is being completed)."""
    script = (
        f"source {completion!r}\n"
        "COMP_WORDS=(\"$@\"); COMP_CWORD=$(( $# - 1 ))\n"
        "_rolectl\n"
        "printf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    out = subprocess.run(["bash", "--norc", "-c", script, "bash", *words], capture_output=True,
                         text=True, check=True, env={"PATH": "/usr/bin:/bin"}).stdout
    return {w for w in out.split("\n") if w}


def check(what, got, want):
    if got != want:
        failures.append(f"{what}: completion offers {sorted(got - want)} too many, "
                        f"misses {sorted(want - got)}")


def help_commands():
    text = run("--help")
    block = text.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return {line.split()[0] for line in block.splitlines() if line.strip()}


def options_section(text):
    """Long options named at the start of the lines of the OPTIONS section."""
    m = re.search(r"^OPTIONS\n(.*?)(?:^\S|\Z)", text, re.S | re.M)
    if not m:
        return set()
    return set(re.findall(r"^\s+(?:-\w, )?(--[a-z][a-z-]*)", m.group(1), re.M))


commands = help_commands()
check("commands", complete(["rolectl", ""]) - GLOBALS - {"--json", "-j", "-v", "-V", "-h"}, commands)
check("help COMMAND", complete(["rolectl", "help", ""]), commands)

for cmd in sorted(commands - {"help", "policy"}):
    want = options_section(run(cmd, "--help")) - {"--help"}
    if not want and cmd != "exec":
        failures.append(f"{cmd} --help has no OPTIONS section")
    check(cmd, complete(["rolectl", cmd, "--"]) - GLOBALS, want)

usage = run("policy", "--help")
check("policy", complete(["rolectl", "policy", ""]), {"eval", "validate"})
for sub in ("eval", "validate"):
    lines = [l for l in usage.splitlines() if f"policy {sub}" in l or (sub == "eval" and l.startswith(" " * 20))]
    want = set(re.findall(r"--[a-z][a-z-]*", "\n".join(lines)))
    check(f"policy {sub}", complete(["rolectl", "policy", sub, "--"]) - GLOBALS, want)

# Words that take a value complete the value, not an option.
check("--duration value", complete(["rolectl", "env", "--duration", ""]),
      {"15m", "30m", "1h", "2h", "4h", "8h", "12h"})
check("after exec --", "ls" in complete(["rolectl", "exec", "--", "l"]) and {"x"} or set(), {"x"})

if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"ok: {len(commands)} commands")
