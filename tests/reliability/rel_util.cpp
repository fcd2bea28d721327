// SPDX-License-Identifier: MIT
#include "rel_util.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace colive::rel {

fs::path data_dir() { return fs::path(COLIVE_TESTS_DIR) / "reliability" / "data"; }
fs::path data(const std::string& name) { return data_dir() / name; }

TempDir::TempDir() {
    std::random_device rd;
    for (int i = 0; i < 100; ++i) {
        path = fs::temp_directory_path() / ("colive-rel-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
        std::error_code ec;
        if (fs::create_directory(path, ec)) return;
    }
    throw std::runtime_error("cannot create a temp dir");
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
}

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + p.string());
    return std::vector<std::uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_bytes(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + p.string());
}

void write_text(const fs::path& p, const std::string& text) {
    write_bytes(p, std::vector<std::uint8_t>(text.begin(), text.end()));
}

bool one_line(const std::string& msg) {
    return !msg.empty() && msg.find('\n') == std::string::npos && msg.find('\r') == std::string::npos;
}

void write_model(const fs::path& p, int d_in, const std::string& modality, double token_rate_hz, int window, int classes,
                 unsigned seed) {
    const int d = 8, heads = 2, ff = 16, blocks = 2, pe_rows = 2 * window;
    std::vector<std::pair<std::string, std::vector<int>>> tensors = {{"input_proj.weight", {d, d_in}},
                                                                     {"input_proj.bias", {d}},
                                                                     {"pe.weight", {pe_rows, d}}};
    for (int i = 0; i < blocks; ++i) {
        const std::string l = "layers." + std::to_string(i) + ".";
        for (auto t : std::vector<std::pair<std::string, std::vector<int>>>{
                 {"self_attn.in_proj_weight", {3 * d, d}}, {"self_attn.in_proj_bias", {3 * d}},
                 {"self_attn.out_proj.weight", {d, d}},   {"self_attn.out_proj.bias", {d}},
                 {"linear1.weight", {ff, d}},             {"linear1.bias", {ff}},
                 {"linear2.weight", {d, ff}},             {"linear2.bias", {d}},
                 {"norm1.weight", {d}},                   {"norm1.bias", {d}},
                 {"norm2.weight", {d}},                   {"norm2.bias", {d}}})
            tensors.push_back({l + t.first, t.second});
    }
    tensors.push_back({"norm.weight", {d}});
    tensors.push_back({"norm.bias", {d}});
    tensors.push_back({"head.weight", {classes, d}});
    tensors.push_back({"head.bias", {classes}});

    std::string cls;
    for (int c = 0; c < classes; ++c) cls += std::string(c ? "," : "") + "\\\"c" + std::to_string(c) + "\\\"";
    std::ostringstream cfg;
    cfg << "{\\\"name\\\":\\\"" << p.stem().string() << "\\\",\\\"modality\\\":\\\"" << modality
        << "\\\",\\\"features\\\":\\\"test\\\",\\\"d_in\\\":" << d_in << ",\\\"d_model\\\":" << d
        << ",\\\"heads\\\":" << heads << ",\\\"d_ff\\\":" << ff << ",\\\"window\\\":" << window
        << ",\\\"blocks\\\":" << blocks << ",\\\"pe_rows\\\":" << pe_rows
        << ",\\\"activation\\\":\\\"gelu\\\",\\\"token_rate_hz\\\":" << token_rate_hz
        << ",\\\"classes\\\":[" << cls << "]}";
    std::ostringstream h;
    h << "{\"__metadata__\":{\"colive\":\"" << cfg.str() << "\"}";
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 0.3f);
    std::vector<float> values;
    for (const auto& [name, shape] : tensors) {
        std::size_t count = 1;
        for (int s : shape) count *= std::size_t(s);
        const std::size_t begin = values.size() * 4;
        const bool is_norm_gain = name.find("norm") != std::string::npos && name.find("weight") != std::string::npos;
        for (std::size_t k = 0; k < count; ++k) values.push_back(is_norm_gain ? 1.0f + 0.1f * nd(rng) : nd(rng));
        h << ",\"" << name << "\":{\"dtype\":\"F32\",\"shape\":[";
        for (std::size_t k = 0; k < shape.size(); ++k) h << (k ? "," : "") << shape[k];
        h << "],\"data_offsets\":[" << begin << "," << values.size() * 4 << "]}";
    }
    h << "}";
    std::string header = h.str();
    while (header.size() % 8) header += ' ';
    std::vector<std::uint8_t> out(8 + header.size() + values.size() * 4);
    const std::uint64_t len = header.size();
    for (int i = 0; i < 8; ++i) out[std::size_t(i)] = std::uint8_t(len >> (8 * i));
    std::memcpy(out.data() + 8, header.data(), header.size());
    std::memcpy(out.data() + 8 + header.size(), values.data(), values.size() * 4);
    write_bytes(p, out);
}

void write_video(const fs::path& p, int frames, int w, int h, double fps, bool color) {
    cv::VideoWriter vw(p.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps, cv::Size(w, h), color);
    if (!vw.isOpened()) throw std::runtime_error("cannot write video " + p.string());
    for (int i = 0; i < frames; ++i) {
        cv::Mat f(h, w, color ? CV_8UC3 : CV_8UC1, cv::Scalar::all(30));
        const int s = std::max(1, std::min(w, h) / 4);
        const int x = (i * std::max(1, w / 40)) % std::max(1, w - s);
        cv::rectangle(f, cv::Rect(x, std::max(0, h / 2 - s / 2), s, s), cv::Scalar::all(230), cv::FILLED);
        vw.write(f);
    }
}

void write_wav(const fs::path& p, int rate, int channels, double seconds, double freq_hz) {
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = channels;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE* f = sf_open(p.string().c_str(), SFM_WRITE, &info);
    if (!f) throw std::runtime_error("cannot write wav " + p.string() + ": " + sf_strerror(nullptr));
    const auto frames = static_cast<std::size_t>(std::llround(seconds * rate));
    std::vector<float> buf(frames * std::size_t(channels));
    for (std::size_t i = 0; i < frames; ++i)
        for (int c = 0; c < channels; ++c)
            buf[i * std::size_t(channels) + std::size_t(c)] =
                0.4f * float(std::sin(2.0 * M_PI * freq_hz * (1.0 + 0.5 * c) * double(i) / rate));
    sf_writef_float(f, buf.data(), sf_count_t(frames));
    sf_close(f);
}

static int count_dir(const char* d) {
    int n = 0;
    std::error_code ec;
    for (auto it = fs::directory_iterator(d, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) ++n;
    return n;
}

int thread_count() { return count_dir("/proc/self/task"); }

std::string thread_names() {
    std::vector<std::string> names;
    std::error_code ec;
    for (auto it = fs::directory_iterator("/proc/self/task", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        std::ifstream in(it->path() / "comm");
        std::string n;
        std::getline(in, n);
        names.push_back(n);
    }
    std::sort(names.begin(), names.end());
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
    return out;
}

std::string fd_targets() {
    std::vector<std::string> names;
    std::error_code ec;
    for (auto it = fs::directory_iterator("/proc/self/fd", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        std::error_code ec2;
        names.push_back(fs::read_symlink(it->path(), ec2).string());
    }
    std::sort(names.begin(), names.end());
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ",") + n;
    return out;
}
int fd_count() { return count_dir("/proc/self/fd") - 1; }   // minus the iterator's own fd

long rss_kb() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return -1;
}

bool under_sanitizer() {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
    return true;
#else
    return false;
#endif
#else
    return false;
#endif
}

ProcResult run_process(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
    ProcResult r;
    int out[2], err[2];
    if (::pipe(out) != 0 || ::pipe(err) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        ::close(out[0]);
        ::close(err[0]);
        ::close(out[1]);
        ::close(err[1]);
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        std::fprintf(stderr, "exec %s failed: %s\n", args[0], std::strerror(errno));
        ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    std::string errtext;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            r.timed_out = true;
            ::kill(pid, SIGKILL);
            break;
        }
        if (::poll(fds, 2, int(std::min<long long>(left.count(), 1000))) < 0) break;
        for (auto& f : fds) {
            if (f.fd < 0 || !(f.revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            const ssize_t n = ::read(f.fd, buf, sizeof buf);
            if (n <= 0) {
                ::close(f.fd);
                f.fd = -1;
                --open_fds;
                continue;
            }
            r.output.append(buf, std::size_t(n));
            if (&f == &fds[1]) errtext.append(buf, std::size_t(n));
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) ::close(f.fd);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
    std::istringstream ss(errtext);
    std::string line;
    while (std::getline(ss, line))
        if (!line.empty()) r.err_line = line;
    return r;
}

int run_in_child(const std::function<int()>& fn, std::size_t as_limit_mib, std::chrono::seconds timeout) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        if (as_limit_mib > 0) {
            rlimit rl{};
            rl.rlim_cur = rl.rlim_max = rlim_t(as_limit_mib) << 20;
            ::setrlimit(RLIMIT_AS, &rl);
        }
        int code = 99;
        try {
            code = fn();
        } catch (...) {
            code = 98;
        }
        std::fflush(nullptr);
        ::_exit(code);
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    for (;;) {
        const pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return -1000;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return -WTERMSIG(status);
}

}  // namespace colive::rel
