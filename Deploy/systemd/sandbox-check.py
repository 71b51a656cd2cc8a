#!/usr/bin/python3
"""Runs a command under the system-call sandbox of parley-node.service, without systemd.

    sandbox-check.py /usr/local/bin/parley node --config /etc/parley/node.yaml

Applies what the unit's SystemCallFilter=@system-service, SystemCallFilter=~@privileged @resources,
SystemCallErrorNumber=EPERM and MemoryDenyWriteExecute=yes amount to: the system calls of
@system-service minus @privileged and @resources are allowed (the groups as this machine's
`systemd-analyze syscall-filter` defines them), every other one fails with EPERM, and no memory
may be made writable and executable (the kernel's PR_SET_MDWE, Linux 6.3 or later). Then it
executes the command. A command that works here does not need a looser filter; one that fails
with "Operation not permitted" names what the unit would refuse.

Needs Debian's python3-seccomp (`apt-get install python3-seccomp`) and systemd-analyze. It does not
reproduce the unit's file-system, user or network restrictions.
"""
import ctypes
import errno
import os
import subprocess
import sys

import seccomp

PR_SET_NO_NEW_PRIVS = 38
PR_SET_MDWE = 65
PR_MDWE_REFUSE_EXEC_GAIN = 1
# systemd permits these whatever the filter says.
ALWAYS = {"execve", "exit", "exit_group", "getrlimit", "rt_sigreturn", "sigreturn"}


def groups():
    text = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True, check=True).stdout
    result, current = {}, None
    for line in text.splitlines():
        item = line.strip()
        if not item or item.startswith("#"):
            continue
        if not line.startswith(" ") and item.startswith("@"):
            current = result.setdefault(item, [])
        elif current is not None:
            current.append(item)
    return result


def expand(table, name, seen=None):
    seen = set() if seen is None else seen
    calls = set()
    for member in table[name]:
        if member.startswith("@"):
            if member not in seen:
                seen.add(member)
                calls |= expand(table, member, seen)
        else:
            calls.add(member)
    return calls


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    table = groups()
    allowed = (expand(table, "@system-service") - expand(table, "@privileged") - expand(table, "@resources")) | ALWAYS
    sandbox = seccomp.SyscallFilter(defaction=seccomp.ERRNO(errno.EPERM))
    count = 0
    for name in sorted(allowed):
        try:
            sandbox.add_rule(seccomp.ALLOW, name)
            count += 1
        except (RuntimeError, ValueError):
            pass  # not a system call on this architecture
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
        sys.exit("PR_SET_MDWE failed (Linux 6.3 or later needed): %s" % os.strerror(ctypes.get_errno()))
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    print("sandbox-check: %d system calls allowed, the rest EPERM; no writable+executable memory" % count,
          file=sys.stderr)
    sandbox.load()
    os.execv(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    main()
