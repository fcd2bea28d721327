// SPDX-License-Identifier: MIT
// colive-bench: (a) the paper's Table 6 FLOPs reproduced by the engine's MAC accounting, (b) ms per
// step regular vs continual (median, p95) next to MACs per step and both ratios, optionally next
// to PyTorch's regular nn.TransformerEncoder (--torch), (c) memory: weight bytes per step and GB/s,
// state bytes per stream.
#include "bench_util.h"
#include "paths/data_paths.h"
#include "version/version.h"

#include <Eigen/Core>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <string>
#include <tuple>
#include <vector>

using namespace colive;
using namespace colive::bench;

namespace {

constexpr const char* kUsage =
    "Usage: colive-bench [OPTION]...\n"
    "  or:  colive-bench --help | --version\n"
    "\n"
    "Prints the paper's Table 6 FLOPs from the engine's MAC accounting, ms per step regular vs\n"
    "continual next to MACs per step, and the memory traffic per step.\n"
    "\n"
    "  --presets   comma-separated model presets: tiny, gtzan, oadtr (default tiny,gtzan,oadtr)\n"
    "  --depths    comma-separated numbers of blocks (default 1,2)\n"
    "  --budget    seconds of stepping per preset, depth and mode (default 1.5)\n"
    "  --threads   engine streams stepping concurrently, one per thread (default 1; every stream is\n"
    "              single-threaded, Eigen is not parallelised); PyTorch gets the same thread count\n"
    "  --weight-threads N  also table (d): continual steps with each large matrix-vector product's\n"
    "              rows split over N threads (StreamOptions::weight_threads, opt-in) against 1 thread,\n"
    "              stepped alternately (1, N spinning, N sleeping at once, ...), with GB/s and a\n"
    "              bit-identity check (needs --threads 1)\n"
    "  --spin-us S how long the split's waiting threads spin before sleeping (default 50)\n"
    "  --torch     also time PyTorch's regular nn.TransformerEncoder (bench_torch.py: share/colive/scripts\n"
    "              installed, scripts/ in the source tree; needs python3 with torch and numpy)\n"
    "  --torch-script PATH  the PyTorch timing script to run instead of the bundled one\n"
    "  --no-flops, --no-timing, --no-memory  leave out that table\n"
    "  --mode      regular | continual: time only this mode (for profiling)\n"
    "  --weights   f32: random float32 weights; bf16: the same kind of weights rounded to bf16 and stored\n"
    "              as BF16 (regular mode computes on their exact float32 values, continual mode streams\n"
    "              the compact bf16 copy: identical values, half the bytes); both (default): a row each\n"
    "  --csv FILE|-       write the timing table as CSV\n"
    "  --markdown FILE|-  write every table as Markdown\n";

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string x;
    while (std::getline(ss, x, ','))
        if (!x.empty()) out.push_back(x);
    return out;
}

std::string fmt(const char* f, double v) {
    char b[64];
    std::snprintf(b, sizeof b, f, v);
    return b;
}

struct Table {
    std::string title;
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> notes;

    void print_text(std::ostream& o) const {
        std::vector<std::size_t> w(header.size(), 0);
        for (std::size_t i = 0; i < header.size(); ++i) w[i] = header[i].size();
        for (const auto& r : rows)
            for (std::size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
        o << "\n" << title << "\n";
        auto line = [&](const std::vector<std::string>& r) {
            for (std::size_t i = 0; i < w.size(); ++i) {
                const std::string c = i < r.size() ? r[i] : "";
                o << (i ? "  " : "") << c << std::string(w[i] - c.size(), ' ');
            }
            o << "\n";
        };
        line(header);
        std::size_t total = 0;
        for (auto x : w) total += x + 2;
        o << std::string(total, '-') << "\n";
        for (const auto& r : rows) line(r);
        for (const auto& n : notes) o << "  " << n << "\n";
    }
    void print_markdown(std::ostream& o) const {
        o << "\n### " << title << "\n\n|";
        for (const auto& h : header) o << " " << h << " |";
        o << "\n|";
        for (std::size_t i = 0; i < header.size(); ++i) o << (i == 0 ? "---|" : "---:|");
        o << "\n";
        for (const auto& r : rows) {
            o << "|";
            for (const auto& c : r) o << " " << c << " |";
            o << "\n";
        }
        if (!notes.empty()) o << "\n";
        for (const auto& n : notes) o << "- " << n << "\n";
    }
    void print_csv(std::ostream& o) const {
        for (std::size_t i = 0; i < header.size(); ++i) o << (i ? "," : "") << header[i];
        o << "\n";
        for (const auto& r : rows) {
            for (std::size_t i = 0; i < r.size(); ++i) o << (i ? "," : "") << r[i];
            o << "\n";
        }
    }
};

Table flops_table() {
    Table t;
    t.title = "(a) Paper Table 6 FLOPs (MACs per step, millions): THUMOS14, d=1024, 8 heads, d_ff=1024, n=64, 22 classes";
    t.header = {"features", "model", "mode", "paper", "reference count", "diff", "engine count", "diff", "note"};
    struct Row {
        const char* feat;
        int d_in;
        const char* name;
        int blocks;
        Mode mode;
        double paper;
    } rows[] = {{"A.Net", 3072, "OadTR-b2", 2, Mode::Regular, 1008.1},  {"A.Net", 3072, "OadTR-b1", 1, Mode::Regular, 605.7},
                {"A.Net", 3072, "CoOadTR-b2", 2, Mode::Continual, 410.8}, {"A.Net", 3072, "CoOadTR-b1", 1, Mode::Continual, 9.6},
                {"Kin.", 4096, "OadTR-b2", 2, Mode::Regular, 1075.7},   {"Kin.", 4096, "OadTR-b1", 1, Mode::Regular, 673.0},
                {"Kin.", 4096, "CoOadTR-b2", 2, Mode::Continual, 411.9},  {"Kin.", 4096, "CoOadTR-b1", 1, Mode::Continual, 10.6}};
    for (const Row& r : rows) {
        const ModelConfig c = oadtr_paper_config(r.d_in, r.blocks);
        const double ref = double(reference_macs_per_step(c, r.mode).total()) / 1e6;
        const double eng = double(macs_per_step(c, r.mode).total()) / 1e6;
        std::string note;
        if (r.mode == Mode::Regular)
            note = "engine also counts QK^T and AV (" + fmt("%.1f", double(r.blocks) * 8 * (2.0 * 64 * 64 * 128 + 2 * 64 * 128) / 1e6) +
                   " M), which ptflops does not hook in OadTR";
        else if (r.blocks == 2)
            note = "engine projects only the newest query in block 2 (co projects all 64: +" +
                   fmt("%.1f", 63.0 * 1024 * 1024 / 1e6) + " M)";
        else
            note = "same work";
        t.rows.push_back({r.feat, r.name, to_string(r.mode), fmt("%.1f", r.paper), fmt("%.2f", ref),
                          fmt("%+.2f%%", 100.0 * (ref - r.paper) / r.paper), fmt("%.2f", eng),
                          fmt("%+.2f%%", 100.0 * (eng - r.paper) / r.paper), note});
    }
    t.notes = {"reference count = ptflops 0.6.8 conventions + co's attention formulas, i.e. how the paper's column was made "
               "(CoOadTR-b1 A.Net reproduces the training log's 9,598,998 exactly).",
               "engine count = what colive's engine computes per step (macs_per_step).",
               "MACs: Linear rows*in*out (+bias), LayerNorm one per element, attention per spec section 6; activations and softmax are not counted."};
    return t;
}

std::string cpu_name() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("model name", 0) == 0) {
            const auto p = line.find(':');
            return p == std::string::npos ? line : line.substr(p + 2);
        }
    return "unknown CPU";
}

}  // namespace

int main(int argc, char** argv) {
    std::string preset_list = "tiny,gtzan,oadtr", depth_list = "1,2", csv, markdown, torch_script;
    double budget = 1.5;
    int threads = 1;
    int weight_threads = 1, spin_us = StreamOptions{}.spin_us;
    bool with_torch = false, do_flops = true, do_timing = true, do_memory = true;
    bool only_regular = false, only_continual = false;   // --mode (profiling)
    std::string weights = "both";
    {
        // bench_torch.py from share/colive/scripts (installed) or the source tree's scripts/ (build tree).
        std::vector<std::filesystem::path> dirs;
        for (const auto& r : data_roots()) dirs.push_back(r / "scripts");
        if (const auto src = source_tree()) dirs.push_back(*src / "scripts");
        torch_script = "bench_torch.py";
        for (const auto& d : dirs) {
            std::error_code ec;
            if (std::filesystem::is_regular_file(d / "bench_torch.py", ec)) {
                torch_script = (d / "bench_torch.py").string();
                break;
            }
        }
    }
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto need = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << "colive-bench: " << a << " needs a value\n" << kUsage;
                std::exit(2);
            }
            return argv[++i];
        };
        try {
            if (a == "--help" || a == "-h") {
                std::cout << kUsage;
                return 0;
            } else if (a == "--version") {
                std::cout << version_line("colive-bench") << "\n";
                return 0;
            } else if (a == "--presets") preset_list = need();
            else if (a == "--depths") depth_list = need();
            else if (a == "--budget") budget = std::stod(need());
            else if (a == "--threads") threads = std::stoi(need());
            else if (a == "--weight-threads") weight_threads = std::stoi(need());
            else if (a == "--spin-us") spin_us = std::stoi(need());
            else if (a == "--torch") with_torch = true;
            else if (a == "--torch-script") torch_script = need();
            else if (a == "--csv") csv = need();
            else if (a == "--markdown") markdown = need();
            else if (a == "--no-flops") do_flops = false;
            else if (a == "--no-timing") do_timing = false;
            else if (a == "--no-memory") do_memory = false;
            else if (a == "--weights") {
                weights = need();
                if (weights != "f32" && weights != "bf16" && weights != "both") {
                    std::cerr << "colive-bench: --weights must be f32, bf16 or both\n";
                    return 2;
                }
            }
            else if (a == "--mode") {
                const std::string m = need();
                only_regular = m == "regular";
                only_continual = m == "continual";
            }
            else {
                std::cerr << "colive-bench: unknown argument '" << a << "'\n" << kUsage;
                return 2;
            }
        } catch (const std::exception&) {
            std::cerr << "colive-bench: bad value for " << a << "\n";
            return 2;
        }
    }
    if (threads < 1 || threads > 64 || !(budget > 0.0)) {
        std::cerr << "colive-bench: --threads must be 1..64 and --budget positive\n";
        return 2;
    }
    if (weight_threads < 1 || weight_threads > 64 || spin_us < 0 || (weight_threads > 1 && threads > 1)) {
        std::cerr << "colive-bench: --weight-threads must be 1..64 (with --threads 1) and --spin-us >= 0\n";
        return 2;
    }
    Eigen::setNbThreads(1);

    std::vector<Preset> chosen;
    for (const auto& name : split(preset_list)) {
        bool found = false;
        for (const auto& p : presets())
            if (p.name == name) {
                chosen.push_back(p);
                found = true;
            }
        if (!found) {
            std::cerr << "colive-bench: unknown preset '" << name << "' (tiny, gtzan, oadtr)\n";
            return 2;
        }
    }
    std::vector<int> depths;
    for (const auto& d : split(depth_list)) depths.push_back(std::stoi(d));

    std::vector<Table> tables;
    std::ostringstream machine;
    machine << cpu_name() << ", " << std::thread::hardware_concurrency() << " hardware threads; build: "
#if defined(__AVX512F__)
            << "AVX-512"
#elif defined(__AVX2__)
            << "AVX2"
#else
            << "baseline x86-64 (SSE2)"
#endif
#if defined(__FMA__)
            << "+FMA"
#endif
            << ", Eigen " << EIGEN_WORLD_VERSION << "." << EIGEN_MAJOR_VERSION << "." << EIGEN_MINOR_VERSION
            << ", engine threads per stream 1 (table (d): " << weight_threads << " weight threads, spin " << spin_us
            << " us), concurrent streams " << threads << ", continual GEMV kernel "
            << gemv_kernel_name() << " (run-time dispatch), GEMMs " << gemm_backend_name();
    std::cout << version_line("colive-bench") << " on " << machine.str() << "\n";

    if (do_flops) tables.push_back(flops_table());

    Table timing;
    Table memory;
    Table split;
    const std::string split_n = std::to_string(weight_threads);
    split.title = "(d) Continual steps with the weight stream split over " + split_n +
                  " threads (StreamOptions::weight_threads) vs 1 thread, stepped alternately";
    split.header = {"preset", "blocks", "weights", "weights MB", "load 1-min", "1 thread ms (median/p95)",
                    split_n + " threads ms, spin " + std::to_string(spin_us) + " us (median/p95)", "speed-up",
                    split_n + " threads ms, sleep (median/p95)", "speed-up", "GB/s 1 / " + split_n + " spin",
                    "CPU ms all threads 1 / " + split_n + " spin", "bit-identical"};
    if (do_timing) {
        TorchRun torch_run;
        if (with_torch) {
            std::vector<std::string> names;
            for (const auto& p : chosen) names.push_back(p.name);
            std::string pl;
            for (std::size_t i = 0; i < names.size(); ++i) pl += (i ? "," : "") + names[i];
            std::cout << "running " << torch_script << " ..." << std::flush;
            torch_run = run_torch(torch_script, pl, depth_list, threads, budget);
            std::cout << (torch_run.error.empty() ? " done\n" : " failed: " + torch_run.error + "\n");
            for (const auto& l : torch_run.info) std::cout << "  torch: " << l << "\n";
            if (torch_run.error.empty() && torch_run.slow_blas())
                std::cout << "\n  WARNING: PyTorch ran on BLAS '" << torch_run.blas_kind
                          << "' (netlib's reference BLAS or unidentified), not an optimised one: ratios against it are\n"
                             "  marked REFERENCE BLAS and overstate the engine's lead. Install an optimised BLAS\n"
                             "  (scripts/setup-deps.sh installs OpenBLAS: libblas.so.3 then points to it).\n\n";
        }
        const auto& torch = torch_run.timings;
        if (with_torch && weight_threads > 1)
            split.header.insert(split.header.end(), {"torch regular ms (1 thread)", "continual 1 / " + split_n + " threads vs torch (wall)",
                                                     "(CPU)"});
        const std::string ratio_tag = torch_run.slow_blas() ? " (REFERENCE BLAS!)" : "";
        timing.title = "(b) Time per step: regular (whole window recomputed) vs continual, encoder only, 1 thread per stream";
        timing.header = {"preset", "blocks", "weights", "regular MMAC", "continual MMAC", "MAC ratio", "regular ms (median/p95)",
                         "continual ms (median/p95)", "speed-up", "of MAC ratio", "CPU ms reg/cont", "CPU speed-up"};
        if (with_torch)
            timing.header.insert(timing.header.end(), {"torch regular ms (median/p95)", "torch CPU ms", "C++ regular vs torch (wall/CPU)",
                                                       "C++ continual vs torch (wall/CPU)"});
        memory.title = "(c) Memory: weights read per continual step, achieved bandwidth, state per stream";
        const double bw_big = read_bandwidth_gbs(std::size_t(512) << 20);
        const double bw_l3 = read_bandwidth_gbs(std::size_t(24) << 20);
        const double bw_l3h = read_bandwidth_gbs(std::size_t(12) << 20);
        const double bw_l2 = read_bandwidth_gbs(std::size_t(1) << 20);
        memory.header = {"preset", "blocks", "weights", "weights MB", "continual ms", "GB/s", "state KiB regular", "state KiB continual",
                         "spec attention cache KiB"};
        std::vector<bool> kinds;   // bf16?
        if (weights != "bf16") kinds.push_back(false);
        if (weights != "f32") kinds.push_back(true);
        for (const auto& p : chosen) {
            for (int depth : depths) {
              for (const bool bf16 : kinds) {
                const ModelConfig cfg = encoder_config(p, depth);
                auto model = random_model(cfg, 42 + std::uint64_t(depth), bf16);
                const char* wname = bf16 ? "bf16" : "f32";
                const double mr = double(macs_per_step(cfg, Mode::Regular).total()), mc = double(macs_per_step(cfg, Mode::Continual).total());
                std::cout << "timing " << p.name << " b" << depth << " " << wname << " ..." << std::flush;
                Timing tr{1, 1, 0}, tc{1, 1, 0};
                if (only_regular)
                    tr = time_steps(model, Mode::Regular, budget, 20, 1000000, threads);
                else if (only_continual)
                    tc = time_steps(model, Mode::Continual, budget, 20, 1000000, threads);
                else
                    std::tie(tr, tc) = time_interleaved(model, budget, threads);
                std::cout << " done\n";
                const double speed = tr.median_ms / tc.median_ms, mac_ratio = mr / mc;
                std::vector<std::string> row = {p.name, std::to_string(depth), wname, fmt("%.3f", mr / 1e6), fmt("%.3f", mc / 1e6),
                                                fmt("%.1fx", mac_ratio), fmt("%.4f", tr.median_ms) + " / " + fmt("%.4f", tr.p95_ms),
                                                fmt("%.4f", tc.median_ms) + " / " + fmt("%.4f", tc.p95_ms), fmt("%.1fx", speed),
                                                fmt("%.0f%%", 100.0 * speed / mac_ratio),
                                                fmt("%.4f", tr.cpu_mean_ms) + " / " + fmt("%.4f", tc.cpu_mean_ms),
                                                tc.cpu_mean_ms > 0.0 ? fmt("%.1fx", tr.cpu_mean_ms / tc.cpu_mean_ms) : "n/a"};
                if (with_torch) {
                    auto it = torch.find({p.name, depth});
                    if (it != torch.end()) {
                        const Timing& tt = it->second;
                        row.push_back(fmt("%.3f", tt.median_ms) + " / " + fmt("%.3f", tt.p95_ms));
                        row.push_back(fmt("%.3f", tt.cpu_mean_ms));
                        row.push_back(fmt("%.1fx", tt.median_ms / tr.median_ms) + " / " + fmt("%.1fx", tt.cpu_mean_ms / tr.cpu_mean_ms) +
                                      ratio_tag);
                        row.push_back(fmt("%.1fx", tt.median_ms / tc.median_ms) + " / " + fmt("%.1fx", tt.cpu_mean_ms / tc.cpu_mean_ms) +
                                      ratio_tag);
                    } else {
                        row.insert(row.end(), {"n/a", "n/a", "n/a", "n/a"});
                    }
                }
                timing.rows.push_back(row);

                // Every weight once, at the width the continual step streams it (bf16 copy: 2 bytes).
                const double weight_bytes = double(model->parameter_count()) * 4.0 - double(model->bf16_weight_count()) * 2.0;
                Stream sr(model, Mode::Regular), sc(model, Mode::Continual);
                const double n = cfg.window, d = cfg.d_model, h = cfg.heads, dh = d / h;
                // Spec section 6: CoSi 2 n d_h per head; CoRe (4n-2) d_h + n - 1 per head (floats).
                const double cache_floats = depth == 1 ? 2 * n * dh * h : ((4 * n - 2) * dh + n - 1) * h;
                if (weight_threads > 1 && !only_regular) {
                    std::cout << "split " << p.name << " b" << depth << " " << wname << " ..." << std::flush;
                    const std::string load = load_average();
                    const StreamOptions one{}, spin{.weight_threads = weight_threads, .spin_us = spin_us},
                        sleep{.weight_threads = weight_threads, .spin_us = 0};
                    const std::vector<Timing> ts = time_continual_variants(model, {one, spin, sleep}, budget);
                    const bool same = continual_outputs_identical(model, one, spin, cfg.window + 8);
                    std::cout << " done\n";
                    auto ms = [](const Timing& t) { return fmt("%.4f", t.median_ms) + " / " + fmt("%.4f", t.p95_ms); };
                    auto gbs = [&](const Timing& t) { return fmt("%.1f", weight_bytes / (t.median_ms * 1e-3) / 1e9); };
                    std::vector<std::string> row = {p.name, std::to_string(depth), wname, fmt("%.2f", weight_bytes / 1e6),
                                                    load.substr(0, load.find(' ')), ms(ts[0]), ms(ts[1]),
                                                    fmt("%.2fx", ts[0].median_ms / ts[1].median_ms), ms(ts[2]),
                                                    fmt("%.2fx", ts[0].median_ms / ts[2].median_ms), gbs(ts[0]) + " / " + gbs(ts[1]),
                                                    fmt("%.4f", ts[0].cpu_mean_ms) + " / " + fmt("%.4f", ts[1].cpu_mean_ms),
                                                    same ? "yes" : "NO"};
                    if (with_torch) {
                        auto it = torch.find({p.name, depth});
                        if (it != torch.end()) {
                            const Timing& tt = it->second;
                            row.push_back(fmt("%.3f", tt.median_ms) + " (CPU " + fmt("%.3f", tt.cpu_mean_ms) + ")");
                            row.push_back(fmt("%.1fx", tt.median_ms / ts[0].median_ms) + " / " + fmt("%.1fx", tt.median_ms / ts[1].median_ms) +
                                          ratio_tag);
                            row.push_back(fmt("%.1fx", tt.cpu_mean_ms / ts[0].cpu_mean_ms) + " / " +
                                          fmt("%.1fx", tt.cpu_mean_ms / ts[1].cpu_mean_ms) + ratio_tag);
                        } else {
                            row.insert(row.end(), {"n/a", "n/a", "n/a"});
                        }
                    }
                    split.rows.push_back(row);
                }
                memory.rows.push_back({p.name, std::to_string(depth), wname, fmt("%.2f", weight_bytes / 1e6), fmt("%.4f", tc.median_ms),
                                       fmt("%.1f", weight_bytes / (tc.median_ms * 1e-3) / 1e9) + " (CPU " +
                                           fmt("%.1f", tc.cpu_mean_ms > 0.0 ? weight_bytes / (tc.cpu_mean_ms * 1e-3) / 1e9 : 0.0) + ")",
                                       fmt("%.1f", double(sr.state_bytes()) / 1024.0), fmt("%.1f", double(sc.state_bytes()) / 1024.0),
                                       fmt("%.1f", cache_floats * 4 / 1024.0)});
              }
            }
        }
        timing.notes = {"Regular and continual are stepped in alternating ~20 ms slices, so both see the same machine load (load average at the end: " +
                            load_average() + ").",
                        "MACs in the paper's convention (engine count). speed-up = regular median / continual median; 'of MAC ratio' = speed-up / MAC ratio.",
                        "CPU ms = mean thread CPU time per step, which preemption by other processes does not inflate; CPU speed-up is its ratio.",
                        "torch = Debian python3-torch, regular nn.TransformerEncoder on the (1, n, d) window, same thread count "
                        "(torch and its BLAS), wall median / p95 and mean thread CPU time (separate run, before the C++ timings); "
                        "vs torch = torch time / engine time, wall medians / CPU means (CPU is the fairer one on a loaded machine)."};
        if (with_torch) {
            std::string what;
            for (const auto& l : torch_run.info) what += (what.empty() ? "" : "; ") + l;
            timing.notes.push_back("torch ran on: " + (what.empty() ? std::string("n/a") : what) + ".");
            if (torch_run.slow_blas())
                timing.notes.push_back("**WARNING: PyTorch's BLAS was '" + torch_run.blas_kind +
                                       "' (netlib's reference BLAS or unidentified), not the optimised BLAS PyTorch users run: "
                                       "every 'vs torch' ratio marked REFERENCE BLAS overstates the engine's lead.**");
        }
        memory.notes = {"weights MB = every encoder weight once, at the width a continual step streams it: 4 bytes (f32), 2 bytes for "
                        "Linear weights with a bf16 copy (bf16 rows; biases and norms stay float32). A 1-block continual step "
                        "reads each once; GB/s = weights / continual wall median (and / CPU time). With 2 blocks the n-row "
                        "GEMMs read the float32 copies, so the bf16 figure there is only nominal.",
                        "bf16 rows: random weights rounded to bf16; regular and continual compute on the same values (float32 "
                        "arithmetic and accumulation); only the bytes streamed differ from f32 rows, which hold different random values.",
                        "Machine read bandwidth, 1 thread, sum over a buffer: " + fmt("%.1f", bw_big) + " GB/s (512 MiB, DRAM), " +
                            fmt("%.1f", bw_l3) + " GB/s (24 MiB, L3), " + fmt("%.1f", bw_l3h) + " GB/s (12 MiB, L3), " +
                            fmt("%.1f", bw_l2) + " GB/s (1 MiB, L2).",
                        "state = everything a Stream allocates (caches, rings, window buffers); OpenBLAS's GEMM work buffers are per process and not counted.",
                        "spec cache = the first block's attention caches by the spec's section 6 formula (CoSi 2 n d_h, CoRe (4n-2) d_h + n - 1 floats per head)."};
        tables.push_back(timing);
        if (do_memory) tables.push_back(memory);
        if (weight_threads > 1) {
            split.notes = {
                "Three continual streams of the same model stepped in alternating ~20 ms slices (1 thread; " + split_n +
                    " threads whose waiting side spins " + std::to_string(spin_us) + " us before sleeping; " + split_n +
                    " threads that sleep at once), so all see the same load. Load average at the end: " + load_average() + ".",
                "Only products of >= 1 MiB of weights are split (StreamOptions::split_min_bytes; rows in whole groups of four, so every row's sum is the "
                "same as with one thread: 'bit-identical' compares encoder outputs and probabilities over a window + 8 steps).",
                "GB/s = weights MB / wall median (as in (c)). CPU ms = process CPU time per step, helpers included: "
                "the price of the split in core time.",
                "vs torch: PyTorch regular with 1 thread (table (b)); the split engine uses " + split_n +
                    " cores, so the wall ratio is the latency gain and the CPU ratio the efficiency.",
                "Machine read bandwidth, 1 / " + split_n + " threads reading a share each: " + fmt("%.1f", bw_l3) + " / " +
                    fmt("%.1f", read_bandwidth_gbs(std::size_t(24) << 20, weight_threads)) + " GB/s (24 MiB, L3), " +
                    fmt("%.1f", bw_big) + " / " + fmt("%.1f", read_bandwidth_gbs(std::size_t(512) << 20, weight_threads)) +
                    " GB/s (512 MiB, DRAM)."};
            tables.push_back(split);
        }
    }

    for (const auto& t : tables) t.print_text(std::cout);
    if (!csv.empty() && do_timing) {
        if (csv == "-") {
            timing.print_csv(std::cout);
        } else {
            std::ofstream o(csv);
            timing.print_csv(o);
        }
    }
    if (!markdown.empty()) {
        std::ofstream file;
        std::ostream* o = &std::cout;
        if (markdown != "-") {
            file.open(markdown);
            o = &file;
        }
        *o << "Measured with `colive-bench` on " << machine.str() << ".\n";
        for (const auto& t : tables) t.print_markdown(*o);
    }
    return 0;
}
