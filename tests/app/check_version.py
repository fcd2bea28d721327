#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""--version on every binary, and the generator behind it (app/version/write_version.cmake).

    check_version.py binaries SOURCE_DIR VERSION BINARY...
        each BINARY --version prints "<name> <VERSION> (git <rev>)" where <rev> is what
        `git describe --tags --always --abbrev=12` says about SOURCE_DIR now (a "-dirty" suffix
        aside), or "unknown" when SOURCE_DIR is not a git checkout.
    check_version.py generator WRITE_VERSION_CMAKE TEMPLATE
        runs the generator on scratch git repositories: the revision follows HEAD, the output is
        rewritten only when it changes (so a build recompiles nothing otherwise), "unknown" outside
        a checkout and for a tree unpacked inside someone else's checkout, REVISION overrides.
"""
import os
import re
import subprocess
import sys
import tempfile


def git(*args, cwd):
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t.invalid", "-c", "init.defaultBranch=main",
                           *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def describe(src):
    try:
        top = git("rev-parse", "--show-toplevel", cwd=src)
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None
    if os.path.realpath(top) != os.path.realpath(src):
        return None
    return git("describe", "--tags", "--always", "--abbrev=12", cwd=src)


def check_binaries(src, version, binaries):
    want_rev = describe(src) or "unknown"
    fails = []
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    for b in binaries:
        r = subprocess.run([b, "--version"], capture_output=True, text=True, env=env, timeout=60)
        line = r.stdout.splitlines()[0] if r.stdout else ""
        name = os.path.basename(b)
        m = re.fullmatch(rf"{re.escape(name)} (\S+) \(git (\S+)\)", line)
        print(f"{name} --version: {line!r}")
        if r.returncode != 0 or not m:
            fails.append(f"{name}: exit {r.returncode}, first line {line!r}")
            continue
        if m.group(1) != version:
            fails.append(f"{name}: version {m.group(1)}, want {version}")
        rev = m.group(2).removesuffix("-dirty")
        if rev != want_rev:
            fails.append(f"{name}: revision {m.group(2)}, source is at {want_rev} (stale build?)")
    return fails


def check_generator(script, template):
    fails = []
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "version.cpp")

        def run(src, **extra):
            args = ["cmake", f"-DSOURCE_DIR={src}", f"-DTEMPLATE={template}", f"-DOUTPUT={out}", "-DVERSION=9.8.7"]
            args += [f"-D{k}={v}" for k, v in extra.items()]
            subprocess.run(args + ["-P", script], check=True, capture_output=True, text=True)
            text = open(out).read()
            m = re.search(r'git_revision\(\) \{ return "([^"]*)"; \}', text)
            if '"9.8.7"' not in text or not m:
                fails.append("generated file lacks the version or the revision:\n" + text)
                return None, os.stat(out).st_mtime_ns
            return m.group(1), os.stat(out).st_mtime_ns

        plain = os.path.join(tmp, "plain")
        os.makedirs(plain)
        rev, _ = run(plain)
        if rev != "unknown":
            fails.append(f"not a checkout: revision {rev!r}, want 'unknown'")
        rev, _ = run(plain, REVISION="distro-1.2")
        if rev != "distro-1.2":
            fails.append(f"REVISION override: {rev!r}")

        repo = os.path.join(tmp, "repo")
        os.makedirs(repo)
        git("init", "-q", cwd=repo)
        open(os.path.join(repo, "a.txt"), "w").write("1\n")
        git("add", "a.txt", cwd=repo)
        git("commit", "-qm", "one", cwd=repo)
        head1 = git("rev-parse", "HEAD", cwd=repo)
        rev1, t1 = run(repo)
        if not rev1 or not head1.startswith(rev1):
            fails.append(f"first commit: revision {rev1!r}, HEAD {head1}")
        os.utime(out, ns=(t1 - 10**9, t1 - 10**9))   # make a rewrite visible even on coarse clocks
        _, t1b = run(repo)
        if t1b != t1 - 10**9:
            fails.append("unchanged revision: the generated file was rewritten (forces a rebuild)")
        open(os.path.join(repo, "a.txt"), "w").write("2\n")
        rev_dirty, _ = run(repo)
        if rev_dirty != rev1 + "-dirty":
            fails.append(f"uncommitted change: revision {rev_dirty!r}, want {rev1}-dirty")
        git("commit", "-qam", "two", cwd=repo)
        head2 = git("rev-parse", "HEAD", cwd=repo)
        rev2, _ = run(repo)
        if not rev2 or not head2.startswith(rev2) or rev2 == rev1:
            fails.append(f"new commit: revision {rev2!r}, HEAD {head2}")
        git("tag", "v9.8.7", cwd=repo)
        rev3, _ = run(repo)
        if rev3 != "v9.8.7":
            fails.append(f"tagged commit: revision {rev3!r}, want v9.8.7")

        inner = os.path.join(repo, "unpacked-tarball")
        os.makedirs(inner)
        rev, _ = run(inner)
        if rev != "unknown":
            fails.append(f"tree inside another checkout: revision {rev!r}, want 'unknown'")
        print(f"generator: {rev1} -> {rev_dirty} -> {rev2} -> {rev3}")
    return fails


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "binaries":
        fails = check_binaries(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) == 4 and sys.argv[1] == "generator":
        fails = check_generator(sys.argv[2], sys.argv[3])
    else:
        print(__doc__)
        return 2
    for f in fails:
        print("FAIL:", f)
    if not fails:
        print("OK")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
