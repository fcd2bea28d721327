// SPDX-License-Identifier: MIT
// colive-extract --bench: feature-extractor cost on this machine (single thread).
#include "extract_bench.h"

#include "colive/features.h"
#include "colive/hand.h"
#include "colive/hand_detector.h"
#include "colive/pose.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <numbers>
#include <optional>
#include <random>
#include <vector>

namespace colive::extract {

namespace {
using Clock = std::chrono::steady_clock;

// CPU time of this thread: unaffected by other processes competing for the cores (the wall time
// is printed too; on a loaded machine it is larger).
double thread_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

void bench_audio(double seconds, int rate, int channels) {
    std::mt19937 rng(1);
    std::normal_distribution<float> noise(0.0f, 0.05f);
    const auto n = static_cast<std::size_t>(seconds * rate);
    std::vector<float> x(n * static_cast<std::size_t>(channels));
    for (std::size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / rate;
        const float v = static_cast<float>(0.3 * std::sin(2 * std::numbers::pi * 440.0 * t) *
                                           (std::fmod(t, 0.5) < 0.1 ? 1.0 : 0.2)) + noise(rng);
        for (int c = 0; c < channels; ++c) x[i * static_cast<std::size_t>(channels) + static_cast<std::size_t>(c)] = v;
    }
    AudioFeatures f;
    std::size_t tokens = 0;
    const std::size_t chunk = static_cast<std::size_t>(rate / 100) * static_cast<std::size_t>(channels);   // 10 ms callbacks
    const auto t0 = Clock::now();
    const double c0 = thread_cpu_s();
    for (std::size_t i = 0; i < x.size(); i += chunk) {
        const std::size_t m = std::min(chunk, x.size() - i);
        f.push(std::span<const float>(x.data() + i, m), channels, rate, [&](const Token&) { ++tokens; });
    }
    const double cpu = thread_cpu_s() - c0;
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    const double nt = static_cast<double>(std::max<std::size_t>(tokens, 1));
    std::printf("audio  %6d Hz x %d ch  %5.1f s  %4zu tokens  cpu %7.3f ms/token (wall %7.3f)  %6.3f%% of one core  %5.0fx real time\n",
                rate, channels, seconds, tokens, 1e3 * cpu / nt, 1e3 * wall / nt, 100.0 * cpu / seconds, seconds / cpu);
}

void bench_video(double seconds, const char* method, double fps, const char* descriptor = "video-motion-v3") {
    VideoFeatureParams p;
    p.flow_method = method;
    p.descriptor = descriptor;
    VideoFeatures f(p);
    // A textured 640x480 scene with a bright blob moving left/right/up/down and a global drift.
    cv::Mat tex(960, 1280, CV_8UC3);
    cv::randu(tex, 0, 255);
    cv::GaussianBlur(tex, tex, cv::Size(0, 0), 3.0);
    cv::Mat frame;
    const int frames = static_cast<int>(seconds * fps);
    std::size_t tokens = 0;
    double push_s = 0.0, cpu_s = 0.0;
    for (int i = 0; i < frames; ++i) {
        const double t = i / fps;
        const int ox = 320 + static_cast<int>(200 * std::sin(t * 2.0)), oy = 240 + static_cast<int>(100 * std::cos(t * 1.3));
        tex(cv::Rect(ox, oy, 640, 480)).copyTo(frame);
        cv::circle(frame, cv::Point(320 + static_cast<int>(250 * std::sin(t * 5.0)), 240), 60, cv::Scalar(255, 255, 255), -1);
        const auto t0 = Clock::now();
        const double c0 = thread_cpu_s();
        f.push(frame, t, [&](const Token&) { ++tokens; });
        cpu_s += thread_cpu_s() - c0;
        push_s += std::chrono::duration<double>(Clock::now() - t0).count();
    }
    const double nt = static_cast<double>(std::max<std::size_t>(tokens, 1));
    std::printf("video  640x480 @ %2.0f fps  %-9s %-15s %4d frames  %4zu tokens  cpu %7.3f ms/token (wall %7.3f; all frames' "
                "cost / tokens)  %5.1f%% of one core\n",
                fps, method, descriptor, frames, tokens, 1e3 * cpu_s / nt, 1e3 * push_s / nt, 100.0 * cpu_s / seconds);
}
double process_cpu_s() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

// PoseNet::run on a 640x480 frame (the whole frame: one network pass, sampling and decode) with
// 1 and 2 OpenCV threads, and the hand landmark and hand detector networks when their ONNX files are
// next to the pose model. Process CPU time counts both threads.
void bench_pose(const std::string& model, double seconds) {
    cv::Mat frame(480, 640, CV_8UC3);
    cv::randu(frame, 0, 255);
    cv::GaussianBlur(frame, frame, cv::Size(0, 0), 2.0);
    const int frames = std::max(20, static_cast<int>(seconds * 10));
    // the hand networks next to it, when set up: one hand landmark crop, one hand detector pass
    const std::filesystem::path dir = std::filesystem::path(model).parent_path();
    std::optional<HandLandmarks> hand;
    std::optional<HandDetector> detector;
    if (std::filesystem::exists(dir / "handlandmark-lite.onnx")) hand.emplace(HandLandmarks::load(dir / "handlandmark-lite.onnx", 0));
    if (std::filesystem::exists(dir / "handtrack.onnx")) detector.emplace(HandDetector::load(dir / "handtrack.onnx", 0));
    for (const int threads : {1, 2}) {
        cv::setNumThreads(threads);
        PoseNet net = PoseNet::load(model, 0);
        const auto time = [&](const char* what, const std::function<void()>& run) {
            for (int i = 0; i < 3; ++i) run();  // warm-up
            const auto t0 = Clock::now();
            const double c0 = process_cpu_s();
            for (int i = 0; i < frames; ++i) run();
            const double cpu = process_cpu_s() - c0;
            const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
            std::printf("pose   640x480 %-42s %d thread%s  %4d frames  cpu %7.3f ms/frame  wall %7.3f ms/frame\n", what,
                        threads, threads == 1 ? " " : "s", frames, 1e3 * cpu / frames, 1e3 * wall / frames);
        };
        time("MoveNet Lightning (PoseNet::run)", [&] { net.run(frame); });
        if (hand) time("hand landmarks, one crop (run_crop)", [&] { hand->run_crop(frame, 320, 240, 120, 0.3f); });
        if (detector) time("hand detector (HandDetector::run)", [&] { detector->run(frame); });
    }
    cv::setNumThreads(1);
}
}  // namespace

int run_bench(double seconds, const std::string& pose_model) {
    if (!(seconds > 1.0 && seconds < 3600.0)) {
        std::fprintf(stderr, "colive-extract: --seconds must be in (1, 3600)\n");
        return 2;
    }
    cv::setNumThreads(1);
    std::printf("colive-extract --bench: single thread (cv::setNumThreads(1)), %.0f s of synthetic media each\n", seconds);
    bench_audio(seconds, 16000, 1);
    bench_audio(seconds, 44100, 2);
    bench_audio(seconds, 48000, 2);
    bench_audio(seconds, 192000, 6);
    bench_video(seconds, "dis", 30.0);
    bench_video(seconds, "farneback", 30.0);
    bench_video(seconds, "dis", 60.0);
    bench_video(seconds, "dis", 30.0, "video-motion-v5");   // the bundled action model's tokens
    bench_video(seconds, "dis", 60.0, "video-motion-v5");
    if (!pose_model.empty()) {
        try {
            bench_pose(pose_model, seconds);
        } catch (const FeatureError& e) {
            std::fprintf(stderr, "colive-extract: %s\n", e.what());
            return 1;
        }
    } else {
        std::printf("pose   (not timed: pass --pose-model models/pose/movenet-lightning.onnx)\n");
    }
    return 0;
}

}  // namespace colive::extract
