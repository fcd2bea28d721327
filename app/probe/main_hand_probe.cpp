// SPDX-License-Identifier: MIT
// colive-hand-probe: how often the pose path's hand crops find a hand on real video, per clip and per
// class, with and without the hand detector (a measuring tool for models/pose/README.md; not installed).
//
//   colive-hand-probe --data DIR [--models DIR] [--rate HZ] [--period S] [--threads N] [--no-detector]
//                     [--draw OUTDIR]
//
// DIR holds MANIFEST.tsv (tab-separated, a header with the columns `path` and `label`; paths relative
// to DIR or to its parent) and the videos, as ../shared/data/gestures-real does. Per clip, on frames
// at RATE Hz (default 10, the token rate) it runs what the live path runs: PoseNet (tracking), then
//   wrist:  HandLandmarks on the crop from each arm's elbow and wrist (hand.h),
//   finder: HandFinder with the detector (hand_finder.h: wrist, tracking, detector boxes at most every
//           --period s, default 0.5),
// (--no-detector: HandFinder without it, i.e. wrist crop + tracking), and, to describe the detector itself, HandDetector on every analysed frame. It prints, per clip and
// per class, the % of analysed frames where: the detector has a box (score > 0.3); the wrist crops find
// a hand; the finder finds one; the finder's hand came from tracking or a detector box; the median box
// side (larger of w, h) over the shoulder width; and the median CPU time of each network call.
// --draw OUTDIR: also writes every analysed frame where the finder found a hand by tracking or a
// detector box, with the landmarks (green: track, red: detector) and the detector's boxes (blue),
// as OUTDIR/CLIP_FRAME.png, for checking by eye (do not commit them: they are frames of the data).
// Derived numbers only; the data stays where it is.
#include "colive/features.h"
#include "colive/hand.h"
#include "colive/hand_detector.h"
#include "colive/hand_finder.h"
#include "colive/pose.h"

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

struct Counts {
    int frames = 0, det_box = 0, wrist = 0, finder = 0, by_track = 0, by_detector = 0, det_runs = 0;
    std::vector<double> box_rel;  // box side / shoulder width, detector on every frame (best box)
    void add(const Counts& o) {
        frames += o.frames;
        det_box += o.det_box;
        wrist += o.wrist;
        finder += o.finder;
        by_track += o.by_track;
        by_detector += o.by_detector;
        det_runs += o.det_runs;
        box_rel.insert(box_rel.end(), o.box_rel.begin(), o.box_rel.end());
    }
};

double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
}

double pct(int n, int d) { return d > 0 ? 100.0 * n / d : 0.0; }

void print_row(const std::string& name, const Counts& c) {
    std::printf("| %-44s | %4d | %5.0f | %5.0f | %6.0f | %5.0f / %-5.0f | %4.2f | %4d |\n", name.c_str(), c.frames,
                pct(c.det_box, c.frames), pct(c.wrist, c.frames), pct(c.finder, c.frames), pct(c.by_track, c.frames),
                pct(c.by_detector, c.frames), median(c.box_rel), c.det_runs);
}

struct Clip {
    fs::path path;
    std::string label;
};

std::vector<Clip> read_manifest(const fs::path& dir) {
    std::ifstream in(dir / "MANIFEST.tsv");
    if (!in) throw std::runtime_error((dir / "MANIFEST.tsv").string() + " not found (is --data the gesture clip folder?)");
    std::string line;
    std::getline(in, line);
    std::vector<std::string> head;
    for (std::stringstream ss(line); std::getline(ss, line, '\t');) head.push_back(line);
    const auto col = [&](const char* n) {
        const auto it = std::find(head.begin(), head.end(), n);
        if (it == head.end()) throw std::runtime_error(std::string("MANIFEST.tsv has no column ") + n);
        return static_cast<std::size_t>(it - head.begin());
    };
    const std::size_t cp = col("path"), cl = col("label");
    std::vector<Clip> clips;
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        for (std::stringstream ss(line); std::getline(ss, line, '\t');) f.push_back(line);
        if (f.size() <= std::max(cp, cl)) continue;
        fs::path p = dir / f[cp];
        if (!fs::exists(p)) p = dir.parent_path() / f[cp];
        if (!fs::exists(p)) throw std::runtime_error("clip not found: " + f[cp]);
        clips.push_back({p, f[cl]});
    }
    return clips;
}

}  // namespace

int main(int argc, char** argv) {
    fs::path data, draw, models = fs::path(COLIVE_SOURCE_MODELS_DIR) / "pose";
    double rate = 10.0, period = 0.5;
    int threads = 1;
    bool use_detector = true;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has = i + 1 < argc;
        if (a == "--data" && has) data = argv[++i];
        else if (a == "--models" && has) models = argv[++i];
        else if (a == "--rate" && has) rate = std::atof(argv[++i]);
        else if (a == "--period" && has) period = std::atof(argv[++i]);
        else if (a == "--threads" && has) threads = std::atoi(argv[++i]);
        else if (a == "--no-detector") use_detector = false;
        else if (a == "--draw" && has) draw = argv[++i];
        else {
            std::fprintf(stderr, "usage: colive-hand-probe --data DIR [--models DIR] [--rate HZ] [--period S] [--threads N] [--no-detector] [--draw OUTDIR]\n");
            return 2;
        }
    }
    if (data.empty() || !(rate > 0.0)) {
        std::fprintf(stderr, "colive-hand-probe: --data DIR is required (the real gesture clips, e.g. ../shared/data/gestures-real)\n");
        return 2;
    }
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
    try {
        const std::vector<Clip> clips = read_manifest(data);
        colive::PoseNet pose = colive::PoseNet::load(models / "movenet-lightning.onnx", threads);
        colive::HandLandmarks wrist_only = colive::HandLandmarks::load(models / "handlandmark-lite.onnx", threads);
        colive::HandDetector every_frame = colive::HandDetector::load(models / "handtrack.onnx", threads);
        std::vector<double> t_pose, t_hand, t_det, t_finder;
        const auto cpu_ms = [](auto&& f, std::vector<double>& into) {
            const auto t0 = std::chrono::steady_clock::now();
            f();
            into.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        };
        std::map<std::string, Counts> per_class;
        std::printf("| clip | frames | detector box %% | wrist crop hand %% | finder hand %% | by tracking / detector %% | box / shoulders | detector runs |\n");
        std::printf("|---|---|---|---|---|---|---|---|\n");
        for (const Clip& clip : clips) {
            cv::VideoCapture cap(clip.path.string());
            if (!cap.isOpened()) throw std::runtime_error("cannot open " + clip.path.string());
            double fps = cap.get(cv::CAP_PROP_FPS);
            if (!(fps > 0.0)) fps = 30.0;
            colive::HandFinderParams fp;
            fp.detector_period_s = period;
            colive::HandFinder finder(colive::HandLandmarks::load(models / "handlandmark-lite.onnx", threads),
                                      use_detector ? std::optional<colive::HandDetector>(colive::HandDetector::load(
                                                         models / "handtrack.onnx", threads))
                                                   : std::nullopt,
                                      fp);
            pose.reset();
            Counts c;
            cv::Mat frame;
            double next = 0.0;
            for (int i = 0; cap.read(frame); ++i) {
                const double t = i / fps;
                if (t + 0.45 / fps < next) continue;
                next += 1.0 / rate;
                colive::PoseFrame body;
                cpu_ms([&] { body = pose.run(frame); }, t_pose);
                ++c.frames;
                bool w = false;
                for (const int wr : {9, 10}) {
                    colive::HandFrame h;
                    cpu_ms([&] { h = wrist_only.run(frame, body, wr); }, t_hand);
                    if (h.crop_side <= 0.0f) t_hand.pop_back();  // not run
                    w = w || h.present;
                }
                c.wrist += w;
                std::array<colive::HandFrame, 2> hands;
                cpu_ms([&] { hands = finder.run(frame, body, t); }, t_finder);
                bool f = false, by_t = false, by_d = false;
                for (const auto& h : hands) {
                    f = f || h.present;
                    by_t = by_t || (h.present && h.source == colive::HandCropSource::track);
                    by_d = by_d || (h.present && h.source == colive::HandCropSource::detector);
                }
                c.finder += f;
                c.by_track += by_t;
                c.by_detector += by_d;
                if (!draw.empty() && (by_t || by_d)) {
                    cv::Mat canvas = frame.clone();
                    if (finder.last_boxes_time() == t)
                        for (const auto& b : finder.last_boxes())
                            cv::rectangle(canvas, cv::Rect2f(b.x, b.y, b.w, b.h), cv::Scalar(255, 0, 0), 1);
                    for (const auto& h : hands) {
                        if (!h.present) continue;
                        const cv::Scalar col = h.source == colive::HandCropSource::detector ? cv::Scalar(0, 0, 255)
                                               : h.source == colive::HandCropSource::track ? cv::Scalar(0, 255, 0)
                                                                                            : cv::Scalar(0, 255, 255);
                        for (const auto& l : h.lm) cv::circle(canvas, cv::Point2f(l.x, l.y), 2, col, -1);
                    }
                    fs::create_directories(draw);
                    cv::imwrite((draw / (clip.path.stem().string() + "_" + std::to_string(i) + ".png")).string(), canvas);
                }
                std::vector<colive::HandBox> boxes;
                cpu_ms([&] { boxes = every_frame.run(frame); }, t_det);
                if (!boxes.empty()) {
                    ++c.det_box;
                    const auto& ls = body.kp[5];
                    const auto& rs = body.kp[6];
                    const double s = std::hypot(ls.x - rs.x, ls.y - rs.y);
                    if (body.present && ls.score >= 0.2f && rs.score >= 0.2f && s > 1.0)
                        c.box_rel.push_back(std::max(boxes[0].w, boxes[0].h) / s);
                }
            }
            c.det_runs = finder.detector_runs();
            print_row(clip.label + " " + clip.path.stem().string().substr(0, 36), c);
            std::fflush(stdout);
            per_class[clip.label].add(c);
        }
        std::printf("\nper class:\n");
        Counts all;
        for (const auto& [label, c] : per_class) {
            print_row(label, c);
            all.add(c);
        }
        print_row("all", all);
        std::printf("\nmedian ms per call (%d OpenCV thread%s): pose %.1f, hand landmarks %.1f, hand detector %.1f, "
                    "HandFinder::run (both arms, all sources) %.1f (p90 %.1f)\n",
                    threads, threads == 1 ? "" : "s", median(t_pose), median(t_hand), median(t_det), median(t_finder),
                    [&] {
                        std::vector<double> v = t_finder;
                        if (v.empty()) return 0.0;
                        std::sort(v.begin(), v.end());
                        return v[v.size() * 9 / 10];
                    }());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "colive-hand-probe: %s\n", e.what());
        return 1;
    }
    return 0;
}
