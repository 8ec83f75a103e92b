#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""test-cli-docs ROLECTL ROLED SOURCE-DIR: README.md and the man pages name
only commands and options the binaries' --help knows, and rolectl(1) and
roled(8) document every command and option --help lists.

- rolectl(1): one .SS section per command of `rolectl --help`, naming exactly
  the long options of that command's --help (plus global ones); GLOBAL OPTIONS
  names exactly the options of `rolectl --help`; command synopses are .nf
  lines of at most 78 columns (no heading wraps into its description).
- roled(8): OPTIONS names exactly the options of `roled --help`.
- README.md and every man page: each `rolectl COMMAND` in code names a
  command, each option after it one of that command's or a global one; each
  `roled --OPTION` in code is one of roled's.
"""
import glob
import os
import re
import subprocess
import sys

rolectl, roled, src = sys.argv[1:4]
failures = []
LONG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def fail(msg):
    failures.append(msg)


def run(*argv):
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def section(text, name):
    """The lines of a `NAME` block of --help text, up to the next unindented line."""
    m = re.search(rf"^{name}:?\n(.*?)(?:^\S|\Z)", text, re.S | re.M)
    return m.group(1) if m else ""


main_help = run(rolectl, "--help")
commands = {l.split()[0] for l in section(main_help, "Commands").splitlines() if l.strip()}
globals_ = set(LONG.findall(section(main_help, "Options")))
options = {}
for cmd in commands - {"policy", "help"}:
    text = run(rolectl, cmd, "--help")
    options[cmd] = {o for o in re.findall(r"^\s+(?:-\w, )?(--[a-z][a-z-]*)", section(text, "OPTIONS"), re.M)}
options["policy"] = set(LONG.findall(run(rolectl, "policy", "--help"))) | {"--help"}
options["help"] = set()
roled_opts = set(re.findall(r"^\s+(--[a-z][a-z-]*)", run(roled, "--help"), re.M))
if not commands or not globals_ or not roled_opts:
    fail(f"could not read --help: commands {commands}, globals {globals_}, roled {roled_opts}")


def unman(text):
    """Man source to plain text: \\- to -, font escapes and quotes dropped."""
    text = text.replace("\\-", "-").replace("\\(dq", '"')
    return re.sub(r"\\f[BIRP]", "", text)


def man_sections(text, level):
    """{heading: body} for .SH (level "SH") or .SS headings."""
    parts = re.split(rf"^\.{level} (.*)$", text, flags=re.M)
    return {parts[i].strip('"'): parts[i + 1] for i in range(1, len(parts), 2)}


# rolectl(1)
page = open(os.path.join(src, "packaging/man/rolectl.1.in")).read()
sh = man_sections(page, "SH")
cmd_part = sh.get("COMMANDS", "")
ss = man_sections(cmd_part, "SS")
if set(ss) != commands:
    fail(f"rolectl(1) COMMANDS: sections {sorted(set(ss) - commands)} are no command, "
         f"commands {sorted(commands - set(ss))} have no section")
for cmd, body in ss.items():
    # Example lines of ~/.aws/config name credential-process's options, not this command's.
    named = set(LONG.findall(unman(re.sub(r"^credential_process = .*$", "", body, flags=re.M))))
    want = options.get(cmd, set()) - {"--help"}
    if named - want - globals_:
        fail(f"rolectl(1) {cmd}: options not in 'rolectl {cmd} --help': {sorted(named - want - globals_)}")
    if want - named:
        fail(f"rolectl(1) {cmd}: options of 'rolectl {cmd} --help' not documented: {sorted(want - named)}")
    m = re.match(r"\s*\.nf\n(.*?)\n\.fi", body, re.S)
    if not m:
        fail(f"rolectl(1) {cmd}: no .nf synopsis right after the heading")
    else:
        for line in m.group(1).splitlines():
            if len(unman(line)) + 7 > 80:
                fail(f"rolectl(1) {cmd}: synopsis line wider than 80 columns when indented: {unman(line)!r}")
g = set(LONG.findall(unman("\n".join(re.findall(r"^\.TP\n(.*)$", sh.get("GLOBAL OPTIONS", ""), re.M)))))
if g != globals_:
    fail(f"rolectl(1) GLOBAL OPTIONS names {sorted(g)}, 'rolectl --help' {sorted(globals_)}")
everything = set().union(*options.values()) | globals_
for name, body in sh.items():
    if name not in ("COMMANDS", "GLOBAL OPTIONS"):
        extra = set(LONG.findall(unman(body))) - everything
        if extra:
            fail(f"rolectl(1) {name}: unknown options {sorted(extra)}")

# roled(8)
page = open(os.path.join(src, "packaging/man/roled.8.in")).read()
named = set(LONG.findall(unman(man_sections(page, "SH").get("OPTIONS", ""))))
if named != roled_opts:
    fail(f"roled(8) OPTIONS names {sorted(named)}, 'roled --help' {sorted(roled_opts)}")


# Commands and options in code: README's backticks and fences, man pages' text.
def check_usage(where, text):
    for m in re.finditer(r"(?:^|[\s/`'(])rolectl((?:[ \t]+--socket[ \t]+\S+|[ \t]+-[-\w]+)*)[ \t]+([a-z][a-z-]*)([^\n`'|]*)", text):
        if re.search(r"--target\s*$", text[:m.start() + 1]):
            continue
        cmd, rest = m.group(2), m.group(3)
        if cmd not in commands:
            fail(f"{where}: 'rolectl {cmd}' is no command")
            continue
        rest = rest.split("#")[0].split(" -- ")[0]
        if cmd == "exec":
            rest = rest.split("--")[0] if " -- " in m.group(0) else rest
        unknown = set(LONG.findall(rest)) - options[cmd] - globals_
        if unknown and cmd != "exec":
            fail(f"{where}: 'rolectl {cmd}' has no {sorted(unknown)}")
    for m in re.finditer(r"(?:^|[\s/`'(])roled((?:\s+--[a-z-]+(?:\s+[^-\s`|]\S*)?)+)", text):
        unknown = set(LONG.findall(m.group(1))) - roled_opts
        if unknown:
            fail(f"{where}: roled has no {sorted(unknown)}")


readme = open(os.path.join(src, "README.md")).read()
code = re.findall(r"```.*?\n(.*?)```", readme, re.S)
code += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", readme, flags=re.S))
for c in code:
    check_usage("README.md", c)
for man in sorted(glob.glob(os.path.join(src, "packaging/man/*.in"))):
    check_usage(os.path.basename(man), unman(open(man).read()))

if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"ok: {len(commands)} commands, {len(everything)} rolectl options, {len(roled_opts)} roled options")
