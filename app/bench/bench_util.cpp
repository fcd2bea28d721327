// SPDX-License-Identifier: MIT
#include "bench_util.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <memory>
#include <span>
#include <random>
#include <fstream>
#include <sstream>
#include <thread>

#include <time.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

namespace colive::bench {

const std::vector<Preset>& presets() {
    static const std::vector<Preset> p = {
        {"tiny", 16, 4, 32, 8}, {"gtzan", 192, 16, 192, 120}, {"oadtr", 1024, 8, 1024, 64}};
    return p;
}

ModelConfig encoder_config(const Preset& p, int blocks) {
    ModelConfig c;
    c.name = p.name + "-b" + std::to_string(blocks);
    c.d_in = p.d;
    c.d_model = p.d;
    c.heads = p.heads;
    c.d_ff = p.d_ff;
    c.window = p.window;
    c.blocks = blocks;
    c.pe_rows = 0;
    c.has_input_proj = false;
    c.final_norm = false;
    c.activation = Activation::GELU;
    return c;
}

namespace {

// Round to the nearest bf16 (ties to even); the random values are finite.
std::uint16_t round_bf16(float v) {
    std::uint32_t u;
    std::memcpy(&u, &v, 4);
    return std::uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

// Appends a tensor of uniform random values, as F32, or rounded to bf16 and stored as BF16.
void add_tensor(std::string& header, std::vector<std::uint8_t>& data, const std::string& name,
                std::vector<std::size_t> shape, float scale, float offset, std::mt19937_64& rng, bool bf16) {
    std::size_t count = 1;
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        count *= shape[i];
        if (i) s += ",";
        s += std::to_string(shape[i]);
    }
    s += "]";
    const std::size_t begin = data.size();
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (std::size_t i = 0; i < count; ++i) {
        const float v = offset + scale * u(rng);
        std::uint8_t b[4];
        if (bf16) {
            const std::uint16_t h = round_bf16(v);
            data.push_back(std::uint8_t(h & 0xff));
            data.push_back(std::uint8_t(h >> 8));
        } else {
            std::memcpy(b, &v, 4);   // little-endian host (as the engine's loader)
            data.insert(data.end(), b, b + 4);
        }
    }
    if (header.size() > 1) header += ",";
    header += "\"" + name + "\":{\"dtype\":\"" + (bf16 ? "BF16" : "F32") + "\",\"shape\":" + s +
              ",\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(data.size()) + "]}";
}

}  // namespace

std::shared_ptr<const Model> random_model(const ModelConfig& c, std::uint64_t seed, bool bf16) {
    std::mt19937_64 rng(seed);
    std::string h = "{";
    std::vector<std::uint8_t> data;
    auto add_tensor = [&](std::string& hh, std::vector<std::uint8_t>& dd, const std::string& name,
                          std::vector<std::size_t> shape, float scale, float offset, std::mt19937_64& g) {
        colive::bench::add_tensor(hh, dd, name, std::move(shape), scale, offset, g, bf16);
    };
    const auto d = std::size_t(c.d_model), f = std::size_t(c.d_ff);
    const float wd = 1.0f / std::sqrt(float(d)), wf = 1.0f / std::sqrt(float(f));
    if (c.has_input_proj) {
        add_tensor(h, data, "input_proj.weight", {d, std::size_t(c.d_in)}, 1.0f / std::sqrt(float(c.d_in)), 0.0f, rng);
        add_tensor(h, data, "input_proj.bias", {d}, 0.1f, 0.0f, rng);
    }
    if (c.pe_rows > 0) add_tensor(h, data, "pe.weight", {std::size_t(c.pe_rows), d}, 0.1f, 0.0f, rng);
    for (int i = 0; i < c.blocks; ++i) {
        const std::string p = "layers." + std::to_string(i) + ".";
        add_tensor(h, data, p + "self_attn.in_proj_weight", {3 * d, d}, wd, 0.0f, rng);
        if (c.in_proj_bias) add_tensor(h, data, p + "self_attn.in_proj_bias", {3 * d}, 0.1f, 0.0f, rng);
        add_tensor(h, data, p + "self_attn.out_proj.weight", {d, d}, wd, 0.0f, rng);
        if (c.in_proj_bias) add_tensor(h, data, p + "self_attn.out_proj.bias", {d}, 0.1f, 0.0f, rng);
        add_tensor(h, data, p + "linear1.weight", {f, d}, wd, 0.0f, rng);
        add_tensor(h, data, p + "linear1.bias", {f}, 0.1f, 0.0f, rng);
        add_tensor(h, data, p + "linear2.weight", {d, f}, wf, 0.0f, rng);
        add_tensor(h, data, p + "linear2.bias", {d}, 0.1f, 0.0f, rng);
        for (const char* n : {"norm1", "norm2"}) {
            add_tensor(h, data, p + n + ".weight", {d}, 0.1f, 1.0f, rng);
            add_tensor(h, data, p + n + ".bias", {d}, 0.1f, 0.0f, rng);
        }
    }
    if (c.final_norm) {
        add_tensor(h, data, "norm.weight", {d}, 0.1f, 1.0f, rng);
        add_tensor(h, data, "norm.bias", {d}, 0.1f, 0.0f, rng);
    }
    if (!c.classes.empty()) {
        add_tensor(h, data, "head.weight", {c.classes.size(), d}, wd, 0.0f, rng);
        add_tensor(h, data, "head.bias", {c.classes.size()}, 0.1f, 0.0f, rng);
    }
    std::string cfg = "{\\\"name\\\":\\\"" + c.name + "\\\",\\\"d_in\\\":" + std::to_string(c.d_in) +
                      ",\\\"d_model\\\":" + std::to_string(c.d_model) + ",\\\"heads\\\":" + std::to_string(c.heads) +
                      ",\\\"d_ff\\\":" + std::to_string(c.d_ff) + ",\\\"window\\\":" + std::to_string(c.window) +
                      ",\\\"blocks\\\":" + std::to_string(c.blocks) + ",\\\"pe_rows\\\":" + std::to_string(c.pe_rows) +
                      ",\\\"activation\\\":\\\"" + to_string(c.activation) + "\\\",\\\"in_proj_bias\\\":" +
                      (c.in_proj_bias ? "true" : "false") + ",\\\"final_norm\\\":" + (c.final_norm ? "true" : "false") +
                      ",\\\"classes\\\":[";
    for (std::size_t i = 0; i < c.classes.size(); ++i) {
        if (i) cfg += ",";
        cfg += "\\\"";
        cfg += c.classes[i];
        cfg += "\\\"";
    }
    cfg += "]}";
    h += ",\"__metadata__\":{\"colive\":\"" + cfg + "\"}}";
    std::vector<std::uint8_t> bytes;
    bytes.reserve(8 + h.size() + data.size());
    for (int i = 0; i < 8; ++i) bytes.push_back(std::uint8_t(std::uint64_t(h.size()) >> (8 * i)));
    for (char ch : h) bytes.push_back(std::uint8_t(ch));
    bytes.insert(bytes.end(), data.begin(), data.end());
    return Model::load_from_memory(bytes, "<bench " + c.name + ">");
}

namespace {

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const double pos = q * double(v.size() - 1);
    const auto i = std::size_t(pos);
    const double frac = pos - double(i);
    return i + 1 < v.size() ? v[i] * (1.0 - frac) + v[i + 1] * frac : v[i];
}

namespace {
// Standard-normal token values, the same for the same seed (the streams cycle through them).
std::vector<float> random_tokens(std::size_t count, std::uint64_t seed) {
    std::vector<float> tokens(count);
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> g;
    for (float& v : tokens) v = g(rng);
    return tokens;
}
}  // namespace

std::vector<double> run_one(const std::shared_ptr<const Model>& model, Mode mode, double budget_s,
                            std::size_t min_steps, std::size_t max_steps, std::uint64_t seed) {
    const auto din = std::size_t(model->config().d_in);
    const std::size_t pool = 64;
    const std::vector<float> tokens = random_tokens(pool * din, seed);
    Stream s(model, mode);
    for (int i = 0; i < model->config().window; ++i)
        s.step(std::span<const float>(tokens.data() + (std::size_t(i) % pool) * din, din));
    std::vector<double> ms;
    ms.reserve(max_steps);
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < max_steps; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        s.step(std::span<const float>(tokens.data() + (i % pool) * din, din));
        const auto t1 = std::chrono::steady_clock::now();
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        if (ms.size() >= min_steps && std::chrono::duration<double>(t1 - start).count() > budget_s) break;
    }
    return ms;
}

}  // namespace

Timing time_steps(const std::shared_ptr<const Model>& model, Mode mode, double budget_s, std::size_t min_steps,
                  std::size_t max_steps, int threads) {
    std::vector<double> all;
    if (threads <= 1) {
        all = run_one(model, mode, budget_s, min_steps, max_steps, 1);
    } else {
        std::vector<std::vector<double>> per(static_cast<std::size_t>(threads));
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] { per[std::size_t(t)] = run_one(model, mode, budget_s, min_steps, max_steps, 1 + std::uint64_t(t)); });
        for (auto& th : pool) th.join();
        for (auto& v : per) all.insert(all.end(), v.begin(), v.end());
    }
    Timing t;
    t.cpu_mean_ms = 0.0;   // (not measured in single-mode runs; see time_interleaved)
    t.median_ms = percentile(all, 0.5);
    t.p95_ms = percentile(all, 0.95);
    t.steps = all.size();
    return t;
}

namespace {

double thread_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

void interleaved_one(const std::shared_ptr<const Model>& model, double budget_s, std::uint64_t seed,
                     std::vector<double>& reg, std::vector<double>& con, double cpu[2]) {
    using clock = std::chrono::steady_clock;
    const auto din = std::size_t(model->config().d_in);
    const std::size_t pool = 64;
    const std::vector<float> tokens = random_tokens(pool * din, seed);
    Stream sr(model, Mode::Regular), sc(model, Mode::Continual);
    for (int i = 0; i < model->config().window; ++i) {
        const std::span<const float> tok(tokens.data() + (std::size_t(i) % pool) * din, din);
        sr.step(tok);
        sc.step(tok);
    }
    double spent[2] = {0.0, 0.0};
    std::size_t next[2] = {0, 0};
    const double slice = 0.02;
    while (spent[0] < budget_s || spent[1] < budget_s) {
        for (int m = 0; m < 2; ++m) {
            if (spent[m] >= budget_s && (m == 0 ? reg.size() : con.size()) >= 5) continue;
            Stream& s = m == 0 ? sr : sc;
            auto& out = m == 0 ? reg : con;
            const auto s0 = clock::now();
            const double c0 = thread_cpu_s();
            do {
                const auto t0 = clock::now();
                s.step(std::span<const float>(tokens.data() + (next[m]++ % pool) * din, din));
                const auto t1 = clock::now();
                out.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
            } while (std::chrono::duration<double>(clock::now() - s0).count() < slice && out.size() < 2000000);
            spent[m] += std::chrono::duration<double>(clock::now() - s0).count();
            cpu[m] += thread_cpu_s() - c0;
        }
    }
}

}  // namespace

std::pair<Timing, Timing> time_interleaved(const std::shared_ptr<const Model>& model, double budget_s, int threads) {
    std::vector<double> reg, con;
    double cpu[2] = {0.0, 0.0};
    if (threads <= 1) {
        interleaved_one(model, budget_s, 1, reg, con, cpu);
    } else {
        const auto T = static_cast<std::size_t>(threads);
        std::vector<std::vector<double>> r(T), c(T);
        std::vector<double> cpus(2 * T, 0.0);
        std::vector<std::thread> pool;
        for (std::size_t t = 0; t < T; ++t)
            pool.emplace_back([&, t] { interleaved_one(model, budget_s, 1 + t, r[t], c[t], &cpus[2 * t]); });
        for (auto& th : pool) th.join();
        for (std::size_t t = 0; t < T; ++t) {
            reg.insert(reg.end(), r[t].begin(), r[t].end());
            con.insert(con.end(), c[t].begin(), c[t].end());
            cpu[0] += cpus[2 * t];
            cpu[1] += cpus[2 * t + 1];
        }
    }
    Timing a{percentile(reg, 0.5), percentile(reg, 0.95), reg.size(), reg.empty() ? 0.0 : 1e3 * cpu[0] / double(reg.size())};
    Timing b{percentile(con, 0.5), percentile(con, 0.95), con.size(), con.empty() ? 0.0 : 1e3 * cpu[1] / double(con.size())};
    return {a, b};
}

namespace {
double process_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

}  // namespace

std::vector<Timing> time_continual_variants(const std::shared_ptr<const Model>& model, const std::vector<StreamOptions>& variants,
                                            double budget_s) {
    using clock = std::chrono::steady_clock;
    const auto din = std::size_t(model->config().d_in);
    const std::size_t pool = 64;
    const std::vector<float> tokens = random_tokens(pool * din, 1);
    const std::size_t V = variants.size();
    std::vector<Stream> streams;
    streams.reserve(V);
    for (const StreamOptions& o : variants) streams.emplace_back(model, Mode::Continual, o);
    for (int i = 0; i < model->config().window; ++i)
        for (Stream& s : streams) s.step(std::span<const float>(tokens.data() + (std::size_t(i) % pool) * din, din));
    std::vector<std::vector<double>> ms(V);
    std::vector<double> spent(V, 0.0), cpu(V, 0.0);
    std::vector<std::size_t> next(V, 0);
    const double slice = 0.02;
    for (bool more = true; more;) {
        more = false;
        for (std::size_t m = 0; m < V; ++m) {
            if (spent[m] >= budget_s && ms[m].size() >= 5) continue;
            more = true;
            const auto s0 = clock::now();
            const double c0 = process_cpu_s();
            do {
                const auto t0 = clock::now();
                streams[m].step(std::span<const float>(tokens.data() + (next[m]++ % pool) * din, din));
                const auto t1 = clock::now();
                ms[m].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
            } while (std::chrono::duration<double>(clock::now() - s0).count() < slice && ms[m].size() < 2000000);
            spent[m] += std::chrono::duration<double>(clock::now() - s0).count();
            cpu[m] += process_cpu_s() - c0;
        }
    }
    std::vector<Timing> out;
    for (std::size_t m = 0; m < V; ++m)
        out.push_back({percentile(ms[m], 0.5), percentile(ms[m], 0.95), ms[m].size(),
                       ms[m].empty() ? 0.0 : 1e3 * cpu[m] / double(ms[m].size())});
    return out;
}

bool continual_outputs_identical(const std::shared_ptr<const Model>& model, const StreamOptions& a, const StreamOptions& b,
                                 int steps) {
    const auto din = std::size_t(model->config().d_in);
    const std::vector<float> tokens = random_tokens(std::size_t(steps) * din, 2);
    Stream sa(model, Mode::Continual, a), sb(model, Mode::Continual, b);
    for (int t = 0; t < steps; ++t) {
        const std::span<const float> tok(tokens.data() + std::size_t(t) * din, din);
        const StepResult ra = sa.step(tok);
        const StepResult rb = sb.step(tok);
        if (std::memcmp(ra.encoded.data(), rb.encoded.data(), ra.encoded.size_bytes()) != 0 ||
            std::memcmp(ra.probs.data(), rb.probs.data(), ra.probs.size_bytes()) != 0)
            return false;
    }
    return true;
}

std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    if (!(in >> a >> b >> c)) return "";
    return a + " " + b + " " + c;
}

namespace {
// Sum of n floats with 16 independent lanes; the AVX2 clone is used when the CPU has AVX2, so the
// probe reads as fast as the engine's widest GEMV kernel can.
float sum16(const float* buf, std::size_t n) {
    float acc[16] = {};
    for (std::size_t i = 0; i + 16 <= n; i += 16)
        for (int k = 0; k < 16; ++k) acc[k] += buf[i + std::size_t(k)];
    float s = 0.0f;
    for (float a : acc) s += a;
    return s;
}
__attribute__((target("avx2"))) float sum16_avx2(const float* buf, std::size_t n) {
    float acc[32] = {};
    for (std::size_t i = 0; i + 32 <= n; i += 32)
        for (int k = 0; k < 32; ++k) acc[k] += buf[i + std::size_t(k)];
    float s = 0.0f;
    for (float a : acc) s += a;
    return s;
}
}  // namespace

double read_bandwidth_gbs(std::size_t bytes, int threads) {
    const std::size_t n = bytes / sizeof(float);
    // Allocated like the engine's weights (2 MiB aligned, transparent huge pages advised).
    constexpr std::size_t kHuge = std::size_t(2) << 20;
    const std::size_t alloc = (n * sizeof(float) + kHuge - 1) & ~(kHuge - 1);
    std::unique_ptr<float, decltype(&std::free)> mem(static_cast<float*>(std::aligned_alloc(kHuge, alloc)), &std::free);
    if (!mem) return 0.0;
#ifdef __linux__
    (void)madvise(mem.get(), alloc, MADV_HUGEPAGE);
#endif
    std::span<float> buf(mem.get(), n);
    std::fill(buf.begin(), buf.end(), 1.0f);
    double best = 0.0;
    volatile float sink = 0.0f;
    const bool avx2 = __builtin_cpu_supports("avx2");
    const auto T = std::size_t(std::max(1, threads));
    std::vector<float> part_sums(T, 0.0f);
    auto read_part = [&](std::size_t t) {
        const std::size_t lo = n * t / T / 16 * 16, hi = t + 1 == T ? n : n * (t + 1) / T / 16 * 16;
        part_sums[t] = avx2 ? sum16_avx2(buf.data() + lo, hi - lo) : sum16(buf.data() + lo, hi - lo);
    };
    for (int rep = 0; rep < 5; ++rep) {
        // Helpers are started first and released together; the clock runs until the last one is done.
        std::atomic<int> start{0}, finished{0};
        std::vector<std::thread> pool;
        for (std::size_t t = 1; t < T; ++t)
            pool.emplace_back([&, t] {
                while (!start.load(std::memory_order_acquire)) {
                }
                read_part(t);
                finished.fetch_add(1, std::memory_order_release);
            });
        const auto t0 = std::chrono::steady_clock::now();
        start.store(1, std::memory_order_release);
        read_part(0);
        while (finished.load(std::memory_order_acquire) != int(T) - 1) {
        }
        const auto t1 = std::chrono::steady_clock::now();
        for (auto& th : pool) th.join();
        for (float s : part_sums) sink = sink + s;
        const double sec = std::chrono::duration<double>(t1 - t0).count();
        best = std::max(best, double(bytes) / sec / 1e9);
    }
    (void)sink;
    return best;
}

TorchRun run_torch(const std::string& script, const std::string& presets_csv, const std::string& depths, int threads,
                   double budget_s) {
    TorchRun run;
    const std::string cmd = "/usr/bin/python3 \"" + script + "\" --threads " + std::to_string(threads) +
                            " --presets " + presets_csv + " --depths " + depths + " --budget " +
                            std::to_string(budget_s) + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) {
        run.error = "cannot start python3";
        return run;
    }
    char line[2048];
    std::string all;
    while (std::fgets(line, sizeof line, p)) {
        all += line;
        std::string s(line);
        while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
        if (s.rfind("#", 0) == 0) {
            s = s.substr(s.size() > 1 && s[1] == ' ' ? 2 : 1);
            if (s.rfind("blas-kind: ", 0) == 0) run.blas_kind = s.substr(11);
            run.info.push_back(s);
            continue;
        }
        std::stringstream ss(s);
        std::string name, depth, med, p95, steps, cpu;
        if (std::getline(ss, name, ',') && std::getline(ss, depth, ',') && std::getline(ss, med, ',') &&
            std::getline(ss, p95, ',') && std::getline(ss, steps, ',') && std::getline(ss, cpu)) {
            try {
                Timing t{std::stod(med), std::stod(p95), std::size_t(std::stoul(steps)), std::stod(cpu)};
                run.timings[{name, std::stoi(depth)}] = t;
            } catch (const std::exception&) {
            }
        }
    }
    const int rc = pclose(p);
    if (rc != 0 || run.timings.empty()) run.error = "scripts/bench_torch.py failed: " + all.substr(0, 300);
    if (run.blas_kind.empty()) run.blas_kind = "unknown";
    return run;
}

}  // namespace colive::bench
