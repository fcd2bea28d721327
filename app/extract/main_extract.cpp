// SPDX-License-Identifier: MIT
// colive-extract: turns a video or audio file into the token sequence the bundled models consume,
// as a T x dim float32 .npy (plus optional token times), much faster than real time.
#include "extract_bench.h"
#include "npy_writer.h"
#include "pose_input.h"
#include "sources/audio_file_reader.h"
#include "version/version.h"

#include "colive/features.h"
#include "colive/frame_grid.h"
#include "colive/hand.h"
#include "colive/hand_finder.h"
#include "colive/npy.h"
#include "colive/pose.h"
#include "colive/pose_tokens.h"

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/videoio.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

const char* kUsage =
    "Usage: colive-extract (--video FILE | --audio FILE) --out TOKENS.npy [options]\n"
    "  or:  colive-extract --keypoints KP.npy --fps F --size WxH --out TOKENS.npy [options]\n"
    "  or:  colive-extract --bench [--seconds S] [--pose-model ONNX]\n"
    "  or:  colive-extract --help | --version\n"
    "\n"
    "Turns a media file into the tokens CoLive's feature extractors produce live, for training:\n"
    "writes a T x dim float32 .npy (C order), one row per token, and prints one summary line:\n"
    "  colive-extract: <file>: T tokens x dim (feature id), media s, wall s, x real time\n"
    "\n"
    "  --video FILE        any file OpenCV/FFmpeg decodes; frames are timestamped index/fps\n"
    "                      (CAP_PROP_POS_MSEC when the file has no frame rate)\n"
    "  --audio FILE        any file libsndfile decodes (wav, flac, ogg, ...), any rate/channels\n"
    "  --keypoints FILE    body keypoints, .npy of shape (T, 17, 3): x px, y px, score per MoveNet/COCO\n"
    "                      keypoint, frame i at time i/fps (a row of zero scores = nobody in view; a\n"
    "                      row of NaN = a frame the network never saw, dropped as live: skipped);\n"
    "                      tokens: pose-kp-v1, or pose-kp-v2 / -v3 / -v4 with --features (the live PoseTokenizer,\n"
    "                      core/include/colive/pose_tokens.h)\n"
    "  --hands FILE        with --keypoints and pose-kp-v3: hand observations, .npy (T, 2, 3): per frame\n"
    "                      and arm (the person's left first) looked 0/1, present 0/1, hand size px\n"
    "  --fps F             frame rate of --keypoints (required with it)\n"
    "  --dump-keypoints F  with --video and --pose-model: run the pose network on every frame and write\n"
    "                      its keypoints as .npy (T, 17, 3) float32 (zero rows when nobody is in view), the\n"
    "                      --keypoints format; no tokens (measuring detector noise, evaluation)\n"
    "  --dump-hands F      with --dump-keypoints and --hand-model: also run the hand landmark network\n"
    "                      around each wrist on the first frame of each 0.1 s token slot (as the live\n"
    "                      pose-kp-v3 path) and write the\n"
    "                      --hands format\n"
    "  --drop-frames P     with --dump-keypoints: leave out each frame with probability P (seeded, see\n"
    "                      --drop-seed) before the networks, as the live app drops frames when MoveNet\n"
    "                      falls behind; those rows are NaN (skipped by --keypoints), the hands are\n"
    "                      taken on the first analysed frame of each token slot\n"
    "  --drop-seed N       seed of --drop-frames (default 1)\n"
    "  --hand-model ONNX   the hand landmark network (models/pose/handlandmark-lite.onnx)\n"
    "  --hand-detector ONNX with --dump-hands: find the hands with HandFinder (wrist crop, tracking, boxes\n"
    "                      of this hand detector, models/pose/handtrack.onnx; colive/hand_finder.h)\n"
    "  --size WxH          frame size the keypoint pixels refer to (required with --keypoints)\n"
    "  --out FILE          output tokens (.npy, float32, shape (T, dim))\n"
    "  --times FILE        also write token times in seconds (.npy, float64, shape (T,))\n"
    "  --token-rate R      video: tokens per second (default 10)\n"
    "                      audio: tokens per second = 1 / hop (default 4, i.e. hop 0.25 s)\n"
    "  --work-width W      video working width in pixels (default 160)\n"
    "  --features ID       video: video-motion-v3 (default), -v2 or -v1 (prefixes of v3),\n"
    "                      or its extensions video-motion-v4 (+ the changing region's scale change;\n"
    "                      206 floats) and video-motion-v5 (+ its steadiness over 1 s; 210 floats)\n"
    "                      audio: audio-logmel-v2 (default) or audio-logmel-v1\n"
    "                      keypoints: pose-kp-v1 (default), pose-kp-v2, pose-kp-v3 / -v4 (need --hands)\n"
    "  --backbone JSON     use an ONNX backbone manifest instead of the built-in descriptor\n"
    "  --print-id          print the feature id and dim (\"<id> <dim>\") and exit (with --video/--audio)\n"
    "  --quiet             no summary line\n"
    "  --bench             measure ms per token (audio; video at 640x480, DIS and Farneback) on\n"
    "                      synthetic input and exit\n"
    "  --pose-model ONNX   with --bench: also time the pose network (PoseNet, 1 and 2 threads);\n"
    "                      with --dump-keypoints: the network to run;\n"
    "                      e.g. models/pose/movenet-lightning.onnx (scripts/setup-pose-models.sh)\n"
    "\n"
    "Feature ids: pose-kp-v1 / -v2 / -v3 (128 / 190 / 217 floats at 10 Hz, --keypoints), video-motion-v3 (196 floats at 10 Hz; -v2 / -v1 = its first 170 / 88; -v4 / -v5: 206 / 210),\n"
    "audio-logmel-v2 (276 floats every 0.25 s; audio-logmel-v1: 324).\n"
    "Layouts: core/include/colive/features.h. Token time = media time of the token (video: slot\n"
    "time; audio: end of the 0.96 s patch). Exit status 0 on success, 1 on bad input, 2 on usage.\n"
    "\n"
    "Example:\n"
    "  colive-extract --audio clip.wav --out clip_tokens.npy --times clip_times.npy\n"
    "  python3 -c \"import numpy; print(numpy.load('clip_tokens.npy').shape)\"\n";

int usage_error(const std::string& msg) {
    std::fprintf(stderr, "colive-extract: %s\n(see colive-extract --help)\n", msg.c_str());
    return 2;
}

struct Collected {
    std::vector<float> data;
    std::vector<double> times;
    std::size_t dim = 0;
    void add(const colive::Token& t) {
        if (dim == 0) dim = t.values.size();
        data.insert(data.end(), t.values.begin(), t.values.end());
        times.push_back(t.time_s);
    }
    std::size_t rows() const { return times.size(); }
};

// --dump-keypoints: PoseNet on every frame of a video -> (T, 17, 3) .npy; with --dump-hands also the
// hand landmark network around each wrist on the first frame of each token slot (as PoseVideo) -> (T, 2, 3) .npy;
// with --hand-detector as well, the hands come from HandFinder (wrist crop, tracking, detector boxes;
// colive/hand_finder.h) on those frames instead.
// With drop_p > 0 a frame is left out with that probability (as the live app drops frames before the
// network when it falls behind): NaN rows, the networks never see it.
int dump_keypoints(const std::string& video, const std::string& onnx, const std::string& out, bool quiet,
                   const std::string& hand_onnx, const std::string& hands_out, const std::string& detector_onnx,
                   double drop_p, unsigned drop_seed) {
    try {
        auto net = colive::PoseNet::load(onnx);
        std::optional<colive::HandLandmarks> hand;
        std::optional<colive::HandFinder> finder;
        if (!hands_out.empty() && detector_onnx.empty()) hand.emplace(colive::HandLandmarks::load(hand_onnx));
        if (!hands_out.empty() && !detector_onnx.empty())
            finder.emplace(colive::HandLandmarks::load(hand_onnx), colive::HandDetector::load(detector_onnx));
        colive::SlotGate gate(0.1);
        std::vector<float> hdata;
        if (!std::filesystem::is_regular_file(video)) throw colive::Error("video file not found: " + video);
        cv::VideoCapture cap(video, cv::CAP_FFMPEG);
        if (!cap.isOpened()) throw colive::Error("cannot decode video file " + video + " (FFmpeg could not open it)");
        std::vector<float> data;
        cv::Mat frame;
        std::size_t n = 0, present = 0, dropped = 0;
        const double fps = cap.get(cv::CAP_PROP_FPS) > 0 ? cap.get(cv::CAP_PROP_FPS) : 30.0;
        std::mt19937 rng(drop_seed);
        std::uniform_real_distribution<double> uni(0.0, 1.0);
        while (cap.read(frame)) {
            if (frame.empty()) continue;
            if (drop_p > 0.0 && uni(rng) < drop_p) {   // never analysed: NaN keypoints, no hand observation
                data.insert(data.end(), static_cast<std::size_t>(colive::kPoseKeypoints) * 3, std::nanf(""));
                if (hand || finder) hdata.insert(hdata.end(), 6, 0.0f);
                ++n;
                ++dropped;
                continue;
            }
            const colive::PoseFrame f = net.run(frame);
            if (hand || finder) {
                const double t = static_cast<double>(n) / fps;
                const bool due = gate.due(t);
                std::array<colive::HandFrame, 2> found{};
                if (due && finder) found = finder->run(frame, f, t);
                for (int h = 0; h < 2; ++h) {
                    const colive::HandObservation o =
                        !due ? colive::HandObservation{}
                             : colive::observe(finder ? found[static_cast<std::size_t>(h)] : hand->run(frame, f, 9 + h));
                    hdata.insert(hdata.end(), {o.looked ? 1.0f : 0.0f, o.present ? 1.0f : 0.0f, o.size_px});
                }
            }
            for (const auto& k : f.kp) {
                data.push_back(f.present ? k.x : 0.0f);
                data.push_back(f.present ? k.y : 0.0f);
                data.push_back(f.present ? k.score : 0.0f);
            }
            ++n;
            present += f.present ? 1 : 0;
        }
        if (n == 0) throw colive::Error("no frames decoded from " + video);
        colive::npy::save(out, data, {n, static_cast<std::size_t>(colive::kPoseKeypoints), 3});
        if (hand || finder) colive::npy::save(hands_out, hdata, {n, 2, 3});
        if (!quiet)
            std::printf("colive-extract: %s: %zu frames (%zu dropped), a person in %zu -> %s\n", video.c_str(), n, dropped,
                        present, out.c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "colive-extract: %s\n", e.what());
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string video, audio, keypoints, out, times, backbone, features, dump_kp, pose_model, hands, dump_hands, hand_model,
        hand_detector;
    double token_rate = 0.0, bench_seconds = 20.0, kp_fps = 0.0, drop_p = 0.0;
    unsigned drop_seed = 1;
    int kp_w = 0, kp_h = 0;
    int work_width = 160;
    bool quiet = false, bench = false, print_id = false;
    auto need = [&](int& i, const char* name) -> std::string {
        if (i + 1 >= argc) throw std::invalid_argument(std::string(name) + " needs a value");
        return argv[++i];
    };
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string a = argv[i];
            if (a == "--help" || a == "-h") {
                std::fputs(kUsage, stdout);
                return 0;
            } else if (a == "--version") {
                std::printf("%s\n", colive::version_line("colive-extract").c_str());
                return 0;
            } else if (a == "--video") video = need(i, "--video");
            else if (a == "--audio") audio = need(i, "--audio");
            else if (a == "--out") out = need(i, "--out");
            else if (a == "--keypoints") keypoints = need(i, "--keypoints");
            else if (a == "--dump-keypoints") dump_kp = need(i, "--dump-keypoints");
            else if (a == "--pose-model") pose_model = need(i, "--pose-model");
            else if (a == "--hands") hands = need(i, "--hands");
            else if (a == "--dump-hands") dump_hands = need(i, "--dump-hands");
            else if (a == "--hand-model") hand_model = need(i, "--hand-model");
            else if (a == "--hand-detector") hand_detector = need(i, "--hand-detector");
            else if (a == "--fps") kp_fps = std::stod(need(i, "--fps"));
            else if (a == "--drop-frames") drop_p = std::stod(need(i, "--drop-frames"));
            else if (a == "--drop-seed") drop_seed = static_cast<unsigned>(std::stoul(need(i, "--drop-seed")));
            else if (a == "--size") {
                const std::string v = need(i, "--size");
                if (std::sscanf(v.c_str(), "%dx%d", &kp_w, &kp_h) != 2 || kp_w <= 0 || kp_h <= 0)
                    throw std::invalid_argument("--size must be WxH, e.g. 640x480");
            }
            else if (a == "--times") times = need(i, "--times");
            else if (a == "--backbone") backbone = need(i, "--backbone");
            else if (a == "--features") features = need(i, "--features");
            else if (a == "--token-rate") token_rate = std::stod(need(i, "--token-rate"));
            else if (a == "--work-width") work_width = std::stoi(need(i, "--work-width"));
            else if (a == "--seconds") bench_seconds = std::stod(need(i, "--seconds"));
            else if (a == "--quiet") quiet = true;
            else if (a == "--bench") bench = true;
            else if (a == "--print-id") print_id = true;
            else throw std::invalid_argument("unknown option " + a);
        }
    } catch (const std::exception& e) {
        return usage_error(e.what());
    }
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    ::setenv("OPENCV_FFMPEG_LOGLEVEL", "-8", 0);   // AV_LOG_QUIET: our own one-line errors only
    if (bench) return colive::extract::run_bench(bench_seconds, pose_model);
    if (int(!video.empty()) + int(!audio.empty()) + int(!keypoints.empty()) != 1)
        return usage_error("give exactly one of --video FILE, --audio FILE or --keypoints FILE");
    if (!keypoints.empty() && !print_id && (!(kp_fps > 0.0) || kp_w <= 0))
        return usage_error("--keypoints needs --fps F and --size WxH");
    if (!dump_kp.empty()) {
        if (video.empty() || pose_model.empty()) return usage_error("--dump-keypoints needs --video FILE and --pose-model ONNX");
        if (!dump_hands.empty() && hand_model.empty()) return usage_error("--dump-hands needs --hand-model ONNX");
        if (!hand_detector.empty() && dump_hands.empty()) return usage_error("--hand-detector needs --dump-hands");
        if (!(drop_p >= 0.0 && drop_p < 1.0)) return usage_error("--drop-frames must be in [0, 1)");
        return dump_keypoints(video, pose_model, dump_kp, quiet, hand_model, dump_hands, hand_detector, drop_p, drop_seed);
    }
    if (out.empty() && !print_id) return usage_error("--out FILE is required");
    if (token_rate < 0.0 || !(token_rate == token_rate)) return usage_error("--token-rate must be positive");

    const auto t0 = std::chrono::steady_clock::now();
    Collected c;
    double media_s = 0.0;
    std::string id;
    try {
        if (!keypoints.empty()) {
            colive::PoseTokenParams p;
            if (token_rate > 0.0) p.token_rate_hz = token_rate;
            if (!features.empty()) {
                p.version = colive::PoseTokenizer::version_of(features);
                if (p.version == 0) return usage_error("--keypoints takes --features pose-kp-v1, -v2, -v3 or -v4");
            }
            colive::PoseTokenizer f(p);
            id = f.layout_id();
            c.dim = static_cast<std::size_t>(f.dim());
            if (print_id) {
                std::printf("%s %d\n", id.c_str(), f.dim());
                return 0;
            }
            if (f.uses_hands() != !hands.empty())
                return usage_error(f.uses_hands() ? "pose-kp-v3 needs --hands FILE (hand observations)"
                                                  : "--hands is only used by pose-kp-v3");
            std::vector<bool> analysed;
            const auto frames = colive::extract::load_keypoints(keypoints, kp_w, kp_h, &analysed);
            auto sink = [&](const colive::Token& t) { c.add(t); };
            if (f.uses_hands()) {
                const auto hp = colive::extract::load_hands(hands, frames.size());
                for (std::size_t i = 0; i < frames.size(); ++i)
                    if (analysed[i]) f.push(frames[i], hp[i], static_cast<double>(i) / kp_fps, sink);
            } else {
                for (std::size_t i = 0; i < frames.size(); ++i)
                    if (analysed[i]) f.push(frames[i], static_cast<double>(i) / kp_fps, sink);
            }
            media_s = static_cast<double>(frames.size()) / kp_fps;
        } else if (!audio.empty()) {
            colive::AudioFeatureParams p;
            if (!features.empty()) p.descriptor = features;
            if (token_rate > 0.0) p.token_hop_s = 1.0 / token_rate;
            p.backbone_manifest = backbone;
            colive::AudioFeatures f(p);
            id = f.feature_id();
            c.dim = static_cast<std::size_t>(f.dim());
            if (print_id) {
                std::printf("%s %d\n", id.c_str(), f.dim());
                return 0;
            }
            colive::AudioFileReader r(audio);
            std::vector<float> chunk;
            std::int64_t frames = 0;
            auto sink = [&](const colive::Token& t) { c.add(t); };
            while (const std::size_t n = r.read(chunk, 16384)) {
                f.push(chunk, r.channels(), r.rate(), sink);
                frames += static_cast<std::int64_t>(n);
            }
            f.flush(sink);
            media_s = static_cast<double>(frames) / r.rate();
        } else {
            colive::VideoFeatureParams p;
            if (token_rate > 0.0) p.token_rate_hz = token_rate;
            p.work_width = work_width;
            if (!features.empty()) p.descriptor = features;
            p.backbone_manifest = backbone;
            colive::VideoFeatures f(p);
            id = f.feature_id();
            c.dim = static_cast<std::size_t>(f.dim());
            if (print_id) {
                std::printf("%s %d\n", id.c_str(), f.dim());
                return 0;
            }
            if (!std::filesystem::is_regular_file(video)) throw colive::Error("video file not found: " + video);
            // FFmpeg only: the GStreamer fallback prints multi-line errors (and leaks) on bad files.
            cv::VideoCapture cap(video, cv::CAP_FFMPEG);
            if (!cap.isOpened()) throw colive::Error("cannot decode video file " + video + " (FFmpeg could not open it)");
            const double fps = cap.get(cv::CAP_PROP_FPS);
            const bool use_fps = fps > 0.5 && fps < 1000.0;
            cv::Mat frame;
            std::int64_t index = 0;
            double t = 0.0;
            auto sink = [&](const colive::Token& tok) { c.add(tok); };
            while (cap.read(frame)) {
                if (frame.empty()) continue;
                t = use_fps ? static_cast<double>(index) / fps : cap.get(cv::CAP_PROP_POS_MSEC) / 1000.0;
                f.push(frame, t, sink);
                ++index;
            }
            if (index == 0) throw colive::Error("no frames decoded from " + video);
            media_s = use_fps ? static_cast<double>(index) / fps : t;
        }
        if (c.rows() == 0)
            throw colive::Error("no tokens: the input is too short (" + std::to_string(media_s) + " s)");
        colive::npy::write_f32(out, c.data, c.rows(), c.dim);
        if (!times.empty()) colive::npy::write_f64(times, c.times);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "colive-extract: %s\n", e.what());
        return 1;
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!quiet)
        std::printf("colive-extract: %s: %zu tokens x %zu (%s), %.2f s media, %.2f s wall, %.0fx real time\n",
                    (!keypoints.empty() ? keypoints : audio.empty() ? video : audio).c_str(), c.rows(), c.dim, id.c_str(), media_s, wall,
                    wall > 0 ? media_s / wall : 0.0);
    return 0;
}
