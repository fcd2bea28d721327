#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The Debian package, built, inspected, run and removed (CTest label `package`).

    check_deb.py BUILD_DIR SOURCE_DIR GUI_SCREENSHOT_SH OUT_DIR TINY_POSE_MODEL

1. `cpack -G DEB` in BUILD_DIR (into a scratch directory).
2. Contents: the four binaries, their man pages, the .desktop file, the AppStream metainfo, the
   hicolor icons, every bundled model and model card (models/*.safetensors, *.md), the pose network
   and its card (models/pose/*.onnx, *.md) whenever the source tree has it, every demo clip, the
   copyright file (NOTICE); nothing outside /usr.
   Depends: exactly what dpkg-shlibdeps computes from the packaged binaries (run here, separately).
3. `dpkg -x` into a scratch prefix outside the build tree: the binaries there use that prefix's
   share/colive, and with it hidden they fail ("no bundled demo") instead of reading the source
   tree they were built from. With the pose network in the package, colive-cli runs the pose demo
   on it (the bundled action-pose model if packaged, else TINY_POSE_MODEL from the e2e fixture).
4. As root, with no colive package installed: `dpkg -i`, the installed colive-cli on the installed
   demo clip (model from /usr/share/colive) and, as in 3, on the pose demo, the installed colive under Xvfb to a screenshot
   (tests/e2e/gui_screenshot.sh), then `dpkg -r` and `dpkg -P`: every file dpkg -L listed is gone,
   every directory too unless it existed before the install. Otherwise step 4 is skipped (exit 77)
   with the reason.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

PKG = "colive"
BINARIES = ["colive", "colive-cli", "colive-bench", "colive-extract"]
APP_ID = "io.github.colive.CoLive"


def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(cmd, **kw)


def must(cmd, **kw):
    r = run(cmd, **kw)
    if r.returncode != 0:
        raise SystemExit(f"FAIL: {' '.join(cmd)} exited {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r.stdout


def clean_env():
    env = dict(os.environ)
    env.pop("COLIVE_DATA_DIR", None)   # only the binaries' own lookup
    return env


def build_package(build_dir, scratch):
    t0 = time.monotonic()
    must(["cpack", "-G", "DEB", "-B", scratch, "--config", os.path.join(build_dir, "CPackConfig.cmake")], cwd=build_dir)
    debs = glob.glob(os.path.join(scratch, "*.deb"))
    if len(debs) != 1:
        raise SystemExit(f"FAIL: cpack made {debs}")
    print(f"built {os.path.basename(debs[0])} ({os.path.getsize(debs[0]) / 1e6:.1f} MB) in {time.monotonic() - t0:.1f} s")
    return debs[0]


def package_paths(deb):
    """Paths in the package, absolute, files and directories separately."""
    files, dirs = set(), set()
    for line in must(["dpkg-deb", "--contents", deb]).splitlines():
        mode, path = line.split()[0], line.split(None, 5)[5]
        path = "/" + path.removeprefix("./").split(" -> ")[0].rstrip("/")
        if path == "/":
            continue
        (dirs if mode.startswith("d") else files).add(path)
    return files, dirs


def expected_files(src):
    want = {f"/usr/bin/{b}" for b in BINARIES}
    want |= {f"/usr/share/man/man1/{b}.1.gz" for b in BINARIES}
    want |= {f"/usr/share/applications/{APP_ID}.desktop", f"/usr/share/metainfo/{APP_ID}.metainfo.xml",
             f"/usr/share/icons/hicolor/scalable/apps/{APP_ID}.svg",
             f"/usr/share/icons/hicolor/256x256/apps/{APP_ID}.png"}
    for pattern in ("*.safetensors", "*.md"):
        want |= {"/usr/share/colive/models/" + os.path.basename(p) for p in glob.glob(os.path.join(src, "models", pattern))}
    pose = glob.glob(os.path.join(src, "models", "pose", "*.onnx"))
    if pose:   # the network and its card
        pose += glob.glob(os.path.join(src, "models", "pose", "*.md"))
    want |= {"/usr/share/colive/models/pose/" + os.path.basename(p) for p in pose}
    want.add("/usr/share/doc/colive/copyright")
    want |= {"/usr/share/colive/demo/" + os.path.basename(p) for p in glob.glob(os.path.join(src, "resources", "demo", "*"))
             if not p.endswith((".py", ".sh"))}
    return want


def dep_names(field):
    """'a (>= 1), b | c' -> {'a', 'b | c'} (alternatives kept together, versions dropped)."""
    out = set()
    for item in filter(None, (x.strip() for x in field.split(","))):
        out.add(" | ".join(re.sub(r"\s*\(.*?\)", "", alt).strip() for alt in item.split("|")))
    return out


def check_depends(deb, root):
    """The package's Depends against dpkg-shlibdeps run here on the packaged binaries."""
    fails = []
    depends = must(["dpkg-deb", "--field", deb, "Depends"]).strip()
    with tempfile.TemporaryDirectory() as work:
        os.makedirs(os.path.join(work, "debian"))
        with open(os.path.join(work, "debian", "control"), "w") as f:
            f.write(f"Source: {PKG}\n\nPackage: {PKG}\nArchitecture: any\n")
        out = must(["dpkg-shlibdeps", "-O", *[f"-e{root}/usr/bin/{b}" for b in BINARIES]], cwd=work)
    shlibs = out.strip().removeprefix("shlibs:Depends=")
    if dep_names(depends) != dep_names(shlibs):
        fails.append(f"Depends {sorted(dep_names(depends))} != dpkg-shlibdeps {sorted(dep_names(shlibs))}")
    if not re.search(r"libc6 \(>= [0-9.]+\)", depends):
        fails.append(f"Depends has no versioned libc6: {depends}")
    print(f"Depends ({len(dep_names(depends))} packages, = dpkg-shlibdeps): {depends}")
    return fails


def run_cli(cli, data_prefix, extra_env=None):
    """colive-cli on the demo video; returns (exit code, output, model path it loaded)."""
    env = clean_env()
    env.update(extra_env or {})
    r = run([cli, "--source", "demo-video", "--mode", "both", "--frames", "60"], env=env, cwd="/", timeout=300)
    out = r.stdout + r.stderr
    m = re.search(r"^model: .*\n\s+(\S+)$", out, re.M)
    return r.returncode, out, m.group(1) if m else None


def check_cli(cli, data_prefix):
    fails = []
    rc, out, model = run_cli(cli, data_prefix)
    print(f"{cli} --source demo-video: exit {rc}, model {model}")
    if rc != 0:
        fails.append(f"{cli} exited {rc}:\n{out}")
    elif not model or not model.startswith(data_prefix + "/share/colive/models/"):
        fails.append(f"{cli} loaded {model}, not from {data_prefix}/share/colive/models:\n{out}")
    m = re.search(r"max \|regular - continual\| after warm-up: (\S+)", out)
    if rc == 0 and not (m and float(m.group(1)) < 1e-4):
        fails.append(f"regular vs continual: {m.group(1) if m else 'no summary'}")
    steps = re.search(r"^steps: (\d+)", out, re.M)
    if rc == 0 and not (steps and int(steps.group(1)) == 60):
        fails.append(f"steps: {steps.group(1) if steps else '?'} of 60")
    v = run([cli, "--version"]).stdout.strip()
    print(f"  {v}")
    if not re.fullmatch(r"colive-cli \S+ \(git \S+\)", v):
        fails.append(f"--version: {v!r}")
    return fails


def check_pose(cli, data_prefix, tiny_pose):
    """When the package has the pose network: the binary loads it from its own share/colive."""
    net = os.path.join(data_prefix, "share/colive/models/pose/movenet-lightning.onnx")
    if not os.path.exists(net):
        print(f"  (no pose network in the package: {cli} pose path not run)")
        return []
    bundled = os.path.join(data_prefix, "share/colive/models/action-pose.safetensors")
    model = bundled if os.path.exists(bundled) else tiny_pose
    r = run([cli, "--source", "demo-pose", "--model", model, "--mode", "continual", "--frames", "40"],
            env=clean_env(), cwd="/", timeout=300)
    out = r.stdout + r.stderr
    kp = re.search(r"^keypoints: (\d+) frames analysed", out, re.M)
    print(f"{cli} --source demo-pose --model {model}: exit {r.returncode}, keypoint frames {kp.group(1) if kp else '?'}")
    if r.returncode != 0 or not re.search(r"^model: .*\(pose-kp-v[1-4],", out, re.M) or not (kp and int(kp.group(1)) > 0):
        return [f"pose path of {cli} with the packaged network {net}:\n{out}"]
    return []


def check_extracted(deb, scratch, tiny_pose):
    """dpkg -x: relocatable, and no fall-back to the source tree once the data is hidden."""
    root = os.path.join(scratch, "root")
    must(["dpkg-deb", "-x", deb, root])
    fails = check_cli(os.path.join(root, "usr/bin/colive-cli"), os.path.join(root, "usr"))
    fails += check_pose(os.path.join(root, "usr/bin/colive-cli"), os.path.join(root, "usr"), tiny_pose)
    data = os.path.join(root, "usr/share/colive")
    os.rename(data, data + ".hidden")
    try:
        rc, out, model = run_cli(os.path.join(root, "usr/bin/colive-cli"), os.path.join(root, "usr"))
    finally:
        os.rename(data + ".hidden", data)
    print(f"  with {data} hidden: exit {rc}: {out.strip().splitlines()[-1] if out.strip() else ''}")
    if rc == 0 or "no bundled demo" not in out:
        fails.append(f"with its share/colive hidden the copy still ran (model {model}): it reads another tree\n{out}")
    return root, fails


def dpkg_locked(cmd):
    """dpkg, waiting (up to 10 min) while apt/dpkg elsewhere holds the lock."""
    deadline = time.monotonic() + 600
    while True:
        r = run(cmd, env=dict(clean_env(), DEBIAN_FRONTEND="noninteractive"))
        if r.returncode == 0 or "lock" not in r.stderr or time.monotonic() > deadline:
            return r
        time.sleep(5)


def installed():
    """Known to dpkg in any state (installed, unpacked, half-configured, config-files, ...)."""
    r = run(["dpkg-query", "-W", "-f=${db:Status-Status}", PKG])
    return r.returncode == 0 and r.stdout.strip() not in ("", "not-installed")


def check_installed(files, dirs, gui_script, out_dir, tiny_pose):
    fails = []
    listed = {p for p in must(["dpkg", "-L", PKG]).splitlines() if p and p != "/."}
    if listed != files | dirs:
        fails.append(f"dpkg -L differs from the package contents: {sorted(listed ^ (files | dirs))[:10]}")
    fails += check_cli("/usr/bin/colive-cli", "/usr")
    fails += check_pose("/usr/bin/colive-cli", "/usr", tiny_pose)
    man = run(["man", "-w", "colive-cli"])
    if man.returncode == 0 and man.stdout.strip() != "/usr/share/man/man1/colive-cli.1.gz":
        fails.append(f"man -w colive-cli: {man.stdout.strip()}")
    g = run(["bash", gui_script, "/usr/bin/colive", out_dir, "demo-video", "both", "60"], env=clean_env(), timeout=420)
    print("installed colive under Xvfb:", (g.stdout.strip().splitlines() or ["?"])[-1])
    if g.returncode != 0:
        fails.append(f"installed colive under Xvfb failed:\n{g.stdout}\n{g.stderr}")
    else:
        print("  screenshot", " ".join(glob.glob(os.path.join(out_dir, "demo-video-both*.png"))))
    return fails


def install_run_remove(deb, files, dirs, gui_script, out_dir, tiny_pose):
    fails = []
    conflicts = sorted(p for p in files if os.path.lexists(p))
    if conflicts:
        print(f"SKIP install/remove: files of the package exist already, not touching them: {conflicts[:5]}")
        return None
    existed_before = {d for d in dirs if os.path.isdir(d)}
    try:
        r = dpkg_locked(["dpkg", "-i", deb])
        if r.returncode != 0:   # e.g. a Depends not installed; removed again below all the same
            fails.append(f"dpkg -i failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        else:
            print(f"dpkg -i {os.path.basename(deb)}: ok")
            fails += check_installed(files, dirs, gui_script, out_dir, tiny_pose)
    finally:
        r = dpkg_locked(["dpkg", "-r", PKG])
        if r.returncode != 0:
            fails.append(f"dpkg -r failed:\n{r.stdout}\n{r.stderr}")
        r = dpkg_locked(["dpkg", "-P", PKG])
        if r.returncode != 0:
            fails.append(f"dpkg -P failed:\n{r.stdout}\n{r.stderr}")
    if installed():
        fails.append("still installed after dpkg -r / -P")
    left = sorted(p for p in files if os.path.lexists(p))
    left += sorted(d for d in dirs - existed_before if os.path.lexists(d))
    left += sorted(glob.glob(f"/var/lib/dpkg/info/{PKG}.*") + glob.glob(f"/var/lib/dpkg/info/{PKG}:*"))
    if left:
        fails.append(f"left behind after dpkg -r / -P: {left}")
    print(f"dpkg -r + -P: {len(files)} files and {len(dirs - existed_before)} directories of the package all gone"
          if not left else f"dpkg -r + -P left {len(left)} paths")
    return fails


def main():
    if len(sys.argv) != 6:
        print(__doc__)
        return 2
    build_dir, src, gui_script, out_dir, tiny_pose = (os.path.abspath(a) for a in sys.argv[1:])
    os.makedirs(out_dir, exist_ok=True)
    # Outside the build tree: a binary running inside it would be allowed to use the source tree.
    scratch = tempfile.mkdtemp(prefix="colive-deb-")
    fails = []
    try:
        deb = build_package(build_dir, scratch)
        files, dirs = package_paths(deb)
        missing = sorted(expected_files(src) - files)
        if missing:
            fails.append(f"missing from the package: {missing}")
        outside = sorted(p for p in files | dirs if p != "/usr" and not p.startswith("/usr/"))
        if outside:
            fails.append(f"outside /usr: {outside}")
        print(f"contents: {len(files)} files, all {len(expected_files(src))} expected ones"
              + (f" (pose network: {len(glob.glob(os.path.join(src, 'models/pose/*.onnx')))})"))
        root, f = check_extracted(deb, scratch, tiny_pose)
        fails += f
        fails += check_depends(deb, root)
        shutil.copy(deb, out_dir)

        skip = None
        if os.geteuid() != 0:
            skip = "not root (dpkg -i needs root; CI runs as root)"
        elif installed():
            skip = "a colive package is installed already; not replacing or removing it"
        else:
            f = install_run_remove(deb, files, dirs, gui_script, out_dir, tiny_pose)
            if f is None:
                skip = "package files already on this system"
            else:
                fails += f
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for f in fails:
        print("FAIL:", f)
    if fails:
        return 1
    if skip:
        print(f"SKIP dpkg -i / run installed / dpkg -r: {skip} (steps 1-3 passed)")
        return 77
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
