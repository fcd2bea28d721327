#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The tfjs -> ONNX conversions (MoveNet Lightning, hand landmark lite, hand detector) are deterministic:
models/pose/convert_tfjs.py run twice (separate processes) on the pinned tarball's models gives the
same bytes, and the same bytes as the installed models/pose/NAME.onnx that
scripts/setup-pose-models.sh made.

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
MODELS = ("movenet-lightning", "handlandmark-lite", "handtrack")


def setup_value(name):
    """A shell variable of setup-pose-models.sh (the one place the pins and the cut are written)."""
    text = open(SETUP).read()
    m = re.search(r"^%s=\"?([^\"\n]*)\"?$" % name, text, re.M)
    if not m:
        raise SystemExit("test_pose_convert: %s not found in %s" % (name, SETUP))
    return m.group(1)


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
            for m in MODELS:
                for ext in (".json", ".bin"):
                    with open(os.path.join(tmp, m + ext), "wb") as f:
                        f.write(tf.extractfile(tf.getmember("package/models/" + m + ext)).read())
        for m in MODELS:
            digests = []
            for i in range(2):
                out = os.path.join(tmp, "%s_run%d.onnx" % (m, i))
                subprocess.run([sys.executable, CONVERTER, os.path.join(tmp, m + ".json"), out, "--preset", m], check=True)
                digests.append(hashlib.sha256(open(out, "rb").read()).hexdigest())
            print("%s: conversion 1 sha256 %s, conversion 2 sha256 %s" % (m, digests[0], digests[1]))
            if digests[0] != digests[1]:
                print("test_pose_convert: two conversions of %s differ" % m, file=sys.stderr)
                return 1
            installed_path = os.path.join(ROOT, "models", "pose", m + ".onnx")
            if os.path.exists(installed_path):
                installed = hashlib.sha256(open(installed_path, "rb").read()).hexdigest()
                print("%s: installed sha256 %s" % (m, installed))
                if installed != digests[0]:
                    print("test_pose_convert: models/pose/%s.onnx differs from a fresh conversion "
                          "(re-run scripts/setup-pose-models.sh --force)" % m, file=sys.stderr)
                    return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
