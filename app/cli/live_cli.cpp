// SPDX-License-Identifier: MIT
// colive-cli --source ...: the same sources, modes and models as the desktop app, headless.
#include "live_cli.h"

#include "pipeline/export.h"
#include "pipeline/metrics.h"
#include "pipeline/pipeline.h"
#include "sources/camera_source.h"
#include "sources/mic_source.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace colive::cli {

namespace {

constexpr const char* kLiveUsage =
    "usage: colive-cli --source SPEC [--mode regular|continual|both] [--model PATH] [--frames N]\n"
    "                  [--export OUT.csv|OUT.jsonl] [--loop] [--realtime] [--duration S] [--quiet]\n"
    "       colive-cli --list-devices\n"
    "\n"
    "  --source     camera[:name|index] | mic[:name] | file:PATH | demo-video | demo-pose | demo-audio\n"
    "  --mode       regular, continual or both (default both: the same tokens go to both)\n"
    "  --model      model file (.safetensors); default: genre for audio; for video the pose model\n"
    "               (action-pose) when it and models/pose/movenet-lightning.onnx load, else action\n"
    "               (always action on demo-video)\n"
    "  --frames N   stop after N steps (tokens); default: until the file ends / --duration\n"
    "  --export     per-step predictions, CSV or JSON Lines by extension: time, step, mode,\n"
    "               per-class probabilities, latency, MACs, warm-up flag\n"
    "  --loop       files and demo clips start again at the end\n"
    "  --realtime   pace files to their media clock (default: as fast as possible, nothing dropped)\n"
    "  --duration S stop after S seconds of wall time (live devices)\n"
    "  --quiet      no summary\n";

struct LiveOptions {
    std::string source;
    std::string mode = "both";
    std::string model;
    std::string export_path;
    long long frames = -1;
    double duration_s = -1;
    bool loop = false;
    bool realtime = false;
    bool quiet = false;
    bool list = false;
};

int usage_error(const std::string& msg) {
    std::cerr << "colive-cli: " << msg << "\n" << kLiveUsage;
    return 2;
}

int list_devices() {
    std::cout << "Cameras (V4L2):\n";
    const auto cams = list_cameras();
    if (cams.empty()) std::cout << "  (none)\n";
    for (const auto& c : cams) std::cout << "  " << c.index << "  " << c.path << "  " << c.name << "  -> --source camera:" << c.index << "\n";
    std::cout << "Microphones (PortAudio):\n";
    try {
        const auto mics = list_audio_inputs();
        if (mics.empty()) std::cout << "  (none)\n";
        for (const auto& m : mics) {
            char buf[512];
            std::snprintf(buf, sizeof buf, "  %s%s  (%s, %d ch, %.0f Hz)  -> --source \"mic:%s\"\n", m.name.c_str(),
                          m.is_default ? " [default]" : "", m.host_api.c_str(), m.max_input_channels, m.default_rate_hz,
                          m.name.c_str());
            std::cout << buf;
        }
    } catch (const std::exception& e) {
        std::cout << "  (unavailable: " << e.what() << ")\n";
    }
    std::cout << "Demo clips: --source demo-video (motion model), --source demo-pose (pose model), --source demo-audio\n";
    return 0;
}

std::string fmt_count(double v) {
    char b[32];
    if (v >= 1e9) std::snprintf(b, sizeof b, "%.2f G", v / 1e9);
    else if (v >= 1e6) std::snprintf(b, sizeof b, "%.1f M", v / 1e6);
    else if (v >= 1e3) std::snprintf(b, sizeof b, "%.1f k", v / 1e3);
    else std::snprintf(b, sizeof b, "%.0f", v);
    return b;
}

}  // namespace

bool wants_live(int argc, char** argv) {
    bool tokens = false, live = false;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--tokens") == 0) tokens = true;
        if (std::strcmp(argv[i], "--source") == 0 || std::strncmp(argv[i], "--source=", 9) == 0 ||
            std::strcmp(argv[i], "--list-devices") == 0)
            live = true;
    }
    return live && !tokens;
}

int run_live(int argc, char** argv) {
    LiveOptions o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        std::optional<std::string> inline_value;
        if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
            inline_value = a.substr(a.find('=') + 1);
            a = a.substr(0, a.find('='));
        }
        auto value = [&]() -> std::optional<std::string> {
            if (inline_value) return inline_value;
            if (i + 1 >= argc) return std::nullopt;
            return std::string(argv[++i]);
        };
        if (a == "--help" || a == "-h") {
            std::cout << kLiveUsage;
            return 0;
        } else if (a == "--list-devices") {
            o.list = true;
        } else if (a == "--loop") {
            o.loop = true;
        } else if (a == "--realtime") {
            o.realtime = true;
        } else if (a == "--quiet" || a == "-q") {
            o.quiet = true;
        } else if (a == "--source" || a == "--mode" || a == "--model" || a == "--export" || a == "--frames" || a == "--duration") {
            const auto v = value();
            if (!v) return usage_error(a + " needs a value");
            if (a == "--source") o.source = *v;
            if (a == "--mode") o.mode = *v;
            if (a == "--model") o.model = *v;
            if (a == "--export") o.export_path = *v;
            try {
                std::size_t pos = 0;
                if (a == "--frames") {
                    o.frames = std::stoll(*v, &pos);
                    if (pos != v->size() || o.frames < 0) throw std::invalid_argument("x");
                }
                if (a == "--duration") {
                    o.duration_s = std::stod(*v, &pos);
                    if (pos != v->size() || !(o.duration_s > 0)) throw std::invalid_argument("x");
                }
            } catch (const std::exception&) {
                return usage_error(a + " needs a positive number, got '" + *v + "'");
            }
        } else {
            return usage_error("unknown argument '" + a + "'");
        }
    }
    if (o.list) return list_devices();
    if (o.source.empty()) return usage_error("--source is required");

    PipelineConfig cfg;
    try {
        cfg.mode = parse_run_mode(o.mode);
        parse_source_spec(o.source);   // syntax errors before anything starts
        if (!o.export_path.empty()) (void)ExportWriter::format_for(o.export_path);
    } catch (const std::exception& e) {
        return usage_error(e.what());
    }
    cfg.source = o.source;
    cfg.model_path = o.model;
    cfg.loop = o.loop;
    cfg.realtime = o.realtime;

    // Every step goes through on_record (engine thread): export and summary statistics.
    std::mutex m;
    std::unique_ptr<ExportWriter> writer;
    std::string export_error;
    bool writer_tried = false;
    long long steps = 0, warm = 0;
    LogHistogram lat[2], e2e;          // whole run, constant memory
    double max_diff = -1.0;
    std::vector<std::string> classes;
    std::atomic<long long> seen{0};
    std::shared_ptr<Pipeline> pipeline = std::make_shared<Pipeline>();
    Pipeline* pp = pipeline.get();
    cfg.on_record = [&](const StepRecord& r) {
        const long long k = seen.fetch_add(1) + 1;
        if (o.frames >= 0 && k > o.frames) return;
        std::lock_guard lock(m);
        if (!writer_tried && !o.export_path.empty()) {
            writer_tried = true;
            try {
                classes = pp->snapshot().classes;
                writer = std::make_unique<ExportWriter>(o.export_path, classes);
            } catch (const std::exception& e) {
                export_error = e.what();
            }
        }
        if (writer) writer->write(r);
        ++steps;
        if (r.out[0].warmup && r.out[1].warmup) ++warm;
        for (int i = 0; i < 2; ++i)
            if (r.out[i].present) lat[i].add(r.out[i].latency_ms);
        e2e.add(r.e2e_ms);
        if (r.abs_diff >= 0) max_diff = std::max(max_diff, r.abs_diff);
    };
    pipeline->start(cfg);

    const auto t0 = std::chrono::steady_clock::now();
    PipelineState st = PipelineState::Starting;
    bool noted = false;   // Auto's note (why not the pose model) is printed once, as soon as it is known
    auto note = [&](const Snapshot& sn) {
        if (noted || sn.model_note.empty() || o.quiet) return;
        noted = true;
        std::cerr << "colive-cli: note: " << sn.model_note << "\n";
    };
    for (;;) {
        const long long target = o.frames >= 0 ? o.frames : (1LL << 62);
        if (pipeline->wait_steps(target, std::chrono::milliseconds(100))) break;
        const Snapshot now = pipeline->snapshot();
        note(now);
        st = now.state;
        if (st == PipelineState::Ended || st == PipelineState::Error || st == PipelineState::Idle) break;
        if (o.duration_s > 0 &&
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() >= o.duration_s)
            break;
        std::lock_guard lock(m);
        if (!export_error.empty()) break;
    }
    const Snapshot snap = pipeline->snapshot();
    note(snap);
    pipeline->stop();
    pipeline->wait_finished(std::chrono::seconds(10));
    pipeline.reset();   // joins all threads; on_record is no longer called
    if (writer) writer->flush();

    if (!export_error.empty()) {
        std::cerr << "colive-cli: error: " << export_error << "\n";
        return 1;
    }
    if (snap.state == PipelineState::Error) {
        std::cerr << "colive-cli: error: " << snap.message << "\n";
        return 1;
    }
    if (o.frames > 0 && steps < o.frames && !o.quiet)
        std::cerr << "colive-cli: note: the source ended after " << steps << " of " << o.frames << " steps\n";
    if (!o.export_path.empty() && !writer) {
        // No step at all: still write the header so scripts find the file.
        try {
            ExportWriter w(o.export_path, snap.classes);
        } catch (const std::exception& e) {
            std::cerr << "colive-cli: error: " << e.what() << "\n";
            return 1;
        }
    }
    if (!o.quiet) {
        char b[512];
        std::printf("source: %s %s (%s)\n", snap.source.kind.c_str(), snap.source.name.c_str(), snap.source.detail.c_str());
        std::printf("model: %s (%s, window %d, %zu classes), mode %s\n       %s\n", snap.model_name.c_str(),
                    snap.feature_id.c_str(), snap.window, snap.classes.size(), to_string(snap.mode), snap.model_path.c_str());
        std::printf("steps: %lld (warm-up %lld), media %.2f s\n", steps, warm, snap.media_time_s);
        const char* names[2] = {"regular", "continual"};
        for (int i = 0; i < 2; ++i) {
            if (lat[i].size() == 0) {
                std::snprintf(b, sizeof b, "%-9s  MACs/step %s (not run)", names[i], fmt_count(static_cast<double>(snap.modes[i].macs_per_step)).c_str());
            } else {
                std::snprintf(b, sizeof b, "%-9s  MACs/step %s  latency/step p50 %.3f ms  p95 %.3f ms  mean %.3f ms", names[i],
                              fmt_count(static_cast<double>(snap.modes[i].macs_per_step)).c_str(), lat[i].percentile(0.5),
                              lat[i].percentile(0.95), lat[i].mean());
            }
            std::printf("%s\n", b);
        }
        if (snap.modes[1].macs_per_step > 0)
            std::printf("MACs ratio regular/continual: %.1fx\n",
                        static_cast<double>(snap.modes[0].macs_per_step) / static_cast<double>(snap.modes[1].macs_per_step));
        if (lat[0].size() && lat[1].size())
            std::printf("latency ratio regular/continual (p50): %.1fx\n", lat[0].percentile(0.5) / lat[1].percentile(0.5));
        if (max_diff >= 0) std::printf("max |regular - continual| after warm-up: %.3g\n", max_diff);
        if (e2e.size())
            std::printf("end-to-end latency (source delivery -> probabilities): p50 %.2f ms  p95 %.2f ms\n", e2e.percentile(0.5),
                        e2e.percentile(0.95));
        if (snap.pose_enabled && snap.media_time_s > 0)
            std::printf("keypoints: %llu frames analysed (%.1f per s of media), nobody in view on %llu\n",
                        static_cast<unsigned long long>(snap.pose_frames), static_cast<double>(snap.pose_frames) / snap.media_time_s,
                        static_cast<unsigned long long>(snap.pose_nobody_frames));
        std::printf("dropped: frames/chunks %llu  tokens %llu  samples in source %llu\n",
                    static_cast<unsigned long long>(snap.dropped_items), static_cast<unsigned long long>(snap.dropped_tokens),
                    static_cast<unsigned long long>(snap.dropped_in_source));
        if (writer) std::printf("exported %zu rows to %s\n", writer->rows(), o.export_path.c_str());
    }
    return 0;
}

}  // namespace colive::cli
