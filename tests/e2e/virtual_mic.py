#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The real microphone path, end to end, with a virtual microphone.

A private PulseAudio server gets a pipe source as its default source; colive-cli records from it
through PortAudio (ALSA host API, `pulse` device, via libasound2-plugins) while this script writes a
known audio file into the pipe in real time. The predictions captured live must match those of the
same file read directly (colive-cli --source file:...):
  * after aligning the two step sequences (the capture may start a little early or late),
  * the same top-1 class on at least MIN_AGREE of the overlapping post-warm-up steps, and
  * the median over steps of max |p_live - p_file| below MAX_MEDIAN_DIFF.
Exit code 77 (skipped) only if PulseAudio cannot be started here.

    virtual_mic.py COLIVE_CLI AUDIO_FILE [--model PATH] [--seconds S]
"""
import argparse
import csv
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77
MIN_AGREE = 0.8
MAX_MEDIAN_DIFF = 0.1


def read_csv(path):
    rows = []
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        n = len(header) - 6
        for line in r:
            rows.append(([float(x) for x in line[3:3 + n]], line[-1] == "1"))
    return header[3:3 + n], rows


def compare(live, ref):
    """Best alignment offset (live step i <-> ref step i + k) and its statistics."""
    best = None
    for k in range(-40, 41):
        pairs = [(live[i][0], ref[i + k][0]) for i in range(len(live))
                 if 0 <= i + k < len(ref) and not live[i][1] and not ref[i + k][1]]
        if len(pairs) < 8:
            continue
        agree = sum(max(range(len(a)), key=a.__getitem__) == max(range(len(b)), key=b.__getitem__) for a, b in pairs)
        diffs = sorted(max(abs(x - y) for x, y in zip(a, b)) for a, b in pairs)
        stat = (agree / len(pairs), -diffs[len(diffs) // 2], k, len(pairs), diffs[len(diffs) // 2])
        if best is None or stat[:2] > best[:2]:
            best = stat
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cli")
    ap.add_argument("audio")
    ap.add_argument("--model")
    ap.add_argument("--seconds", type=float, default=0, help="play at most this much of the file (0 = all)")
    a = ap.parse_args()
    if not shutil.which("pulseaudio") or not shutil.which("sox"):
        print("SKIP: pulseaudio or sox not installed")
        return SKIP

    tmp = tempfile.mkdtemp(prefix="colive-pa-")
    sock, fifo = os.path.join(tmp, "pulse.sock"), os.path.join(tmp, "virtmic.fifo")
    rate = 48000
    with open(os.path.join(tmp, "virtmic.pa"), "w") as f:
        f.write(f"load-module module-native-protocol-unix auth-anonymous=1 socket={sock}\n"
                "load-module module-null-sink sink_name=nullsink\n"
                f"load-module module-pipe-source source_name=virtmic file={fifo} format=s16le rate={rate} channels=1\n"
                "set-default-sink nullsink\nset-default-source virtmic\n")
    env = dict(os.environ, PULSE_SERVER="unix:" + sock, HOME=tmp, XDG_RUNTIME_DIR=tmp, XDG_CONFIG_HOME=tmp)
    env.pop("PULSE_SINK", None)
    pa = subprocess.Popen(["pulseaudio", "-n", "-F", os.path.join(tmp, "virtmic.pa"), "--daemonize=no",
                           "--use-pid-file=no", "--exit-idle-time=-1", "--disallow-exit",
                           "--log-target=file:" + os.path.join(tmp, "pa.log")], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs = [pa]
    try:
        for _ in range(100):
            if os.path.exists(sock) and os.path.exists(fifo):
                break
            if pa.poll() is not None:
                break
            time.sleep(0.1)
        if pa.poll() is not None or not os.path.exists(fifo):
            print("SKIP: PulseAudio could not start here:")
            try:
                print(open(os.path.join(tmp, "pa.log")).read()[-2000:])
            except OSError:
                pass
            return SKIP

        # The reference: the same file read directly.
        ref_csv = os.path.join(tmp, "ref.csv")
        base = [a.cli, "--mode", "continual"] + (["--model", a.model] if a.model else [])
        # The signal actually played: the file converted to what the pipe carries (48 kHz mono s16).
        raw = os.path.join(tmp, "played.raw")
        trim = ["trim", "0", str(a.seconds)] if a.seconds > 0 else []
        subprocess.run(["sox", a.audio, "-t", "raw", "-e", "signed", "-b", "16", "-c", "1", "-r", str(rate), raw] + trim,
                       check=True)
        played_wav = os.path.join(tmp, "played.wav")
        subprocess.run(["sox", "-t", "raw", "-e", "signed", "-b", "16", "-c", "1", "-r", str(rate), raw, played_wav],
                       check=True)
        r = subprocess.run(base + ["--quiet", "--source", "file:" + played_wav, "--export", ref_csv], env=env,
                           capture_output=True, text=True, timeout=300)
        if r.returncode != 0:
            print("FAIL: reference run:", r.stderr)
            return 1
        duration = os.path.getsize(raw) / 2 / rate

        # The live capture: recorder first, then the writer (real-time paced) once capture runs.
        live_csv = os.path.join(tmp, "live.csv")
        rec = subprocess.Popen(base + ["--source", "mic:pulse", "--duration", str(duration + 6), "--export", live_csv],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        procs.append(rec)
        time.sleep(3.0)   # Pa_Initialize + stream start
        if rec.poll() is not None:
            print("FAIL: recorder exited early:", rec.stderr.read())
            return 1
        fd = os.open(fifo, os.O_WRONLY)
        chunk = rate // 50 * 2   # 20 ms
        t0 = time.monotonic()
        with open(raw, "rb") as src:
            sent = 0
            while True:
                buf = src.read(chunk)
                if not buf:
                    break
                os.write(fd, buf)
                sent += len(buf)
                ahead = sent / 2 / rate - (time.monotonic() - t0)
                if ahead > 0.05:
                    time.sleep(ahead - 0.05)
        # a little silence so the last patches complete
        os.write(fd, b"\0" * (rate * 2))
        os.close(fd)
        out, err = rec.communicate(timeout=duration + 60)
        print(out)
        if rec.returncode != 0:
            print("FAIL: live capture:", err[-2000:])
            return 1
        classes, live = read_csv(live_csv)
        _, ref = read_csv(ref_csv)
        print(f"reference steps {len(ref)}, live steps {len(live)}")
        best = compare(live, ref)
        if best is None:
            print("FAIL: too few overlapping steps")
            return 1
        agree, _, k, n, median = best
        print(f"alignment offset {k} steps, {n} compared: top-1 agreement {agree:.1%}, "
              f"median max|p_live - p_file| {median:.4f}")
        if agree < MIN_AGREE or median > MAX_MEDIAN_DIFF:
            print(f"FAIL: need agreement >= {MIN_AGREE:.0%} and median diff <= {MAX_MEDIAN_DIFF}")
            return 1
        print("OK")
        return 0
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
