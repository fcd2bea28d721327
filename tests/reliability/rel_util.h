// SPDX-License-Identifier: MIT
// Helpers for the reliability tests: temp dirs, file bytes, one-line error checks, media writers,
// process accounting from /proc (threads, fds, RSS) and running a child process with a timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace colive::rel {

std::filesystem::path data_dir();                       // tests/reliability/data
std::filesystem::path data(const std::string& name);   // data_dir() / name

struct TempDir {
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::filesystem::path path;
    std::filesystem::path operator/(const std::string& name) const { return path / name; }
};

std::vector<std::uint8_t> read_bytes(const std::filesystem::path& p);
void write_bytes(const std::filesystem::path& p, const std::vector<std::uint8_t>& bytes);
void write_text(const std::filesystem::path& p, const std::string& text);

// True when `msg` is one non-empty line (no '\n' or '\r').
bool one_line(const std::string& msg);

// A small random model (seeded) in the safetensors layout of the team's model file: d 8, 2 heads,
// d_ff 16, 2 blocks, PE table 2*window rows, `classes` classes. Written here (not by PyTorch)
// because the pipeline tests need d_in to equal whatever the feature extractors give today;
// they only check plumbing, never predictions.
void write_model(const std::filesystem::path& p, int d_in, const std::string& modality, double token_rate_hz,
                 int window, int classes, unsigned seed = 1);

// Media writers (OpenCV / libsndfile).
// MJPG .avi of `frames` frames w x h (colour or grey) at fps: a bright square moving right.
void write_video(const std::filesystem::path& p, int frames, int w, int h, double fps = 25.0, bool color = true);
// 16-bit PCM WAV: `channels` sines at `rate` for `seconds`.
void write_wav(const std::filesystem::path& p, int rate, int channels, double seconds, double freq_hz = 440.0);

// /proc/self accounting.
int thread_count();        // entries in /proc/self/task
std::string thread_names();  // their names (/proc/self/task/*/comm), sorted, comma-separated
std::string fd_targets();    // what /proc/self/fd/* point to, sorted, comma-separated
int fd_count();            // entries in /proc/self/fd
long rss_kb();             // VmRSS from /proc/self/status
bool under_sanitizer();    // built with ASan or TSan (RSS and rlimits mean little there)

// Runs argv (argv[0] is an executable path) with stdout+stderr captured, killed after `timeout`.
struct ProcResult {
    int exit_code = -1;    // -1: killed by a signal or timed out
    int signal = 0;
    bool timed_out = false;
    std::string output;    // stdout and stderr interleaved
    std::string err_line;  // the last non-empty stderr line
};
ProcResult run_process(const std::vector<std::string>& argv, std::chrono::seconds timeout);

// Runs fn in a forked child (with optional address-space limit in MiB, 0 = none). Returns the
// child's exit code, or -signal if it died from a signal, or -1000 on timeout.
int run_in_child(const std::function<int()>& fn, std::size_t as_limit_mib, std::chrono::seconds timeout);

}  // namespace colive::rel
