// SPDX-License-Identifier: MIT
// The handtrack hand detector through OpenCV DNN: the original's preprocessing (normalise, then the
// TF1 bilinear resize to 320x320), the network with its box decode, and the selection of boxes
// (best class other than face, score threshold, non-maximum suppression). See colive/hand_detector.h.
#include "colive/hand_detector.h"

#include "colive/features.h"
#include "keypoint_net.h"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <string>

namespace colive {
namespace {

constexpr int kIn = HandDetector::kInputSize;
constexpr int kAnchors = HandDetector::kAnchors;
constexpr int kClasses = HandDetector::kClasses;

const std::vector<std::string>& output_names() {
    static const std::vector<std::string> names{"boxes", "scores"};
    return names;
}

// One axis of tf.image.resizeBilinear(alignCorners = false, halfPixelCenters = false) as the tfjs CPU
// kernel computes it: source = dest * (in / out) in double, floor and ceil clamped into the input.
struct Tap {
    int lo = 0, hi = 0;
    double frac = 0;
};

std::array<Tap, kIn> make_taps(int in_len) {
    std::array<Tap, kIn> taps{};
    const double ratio = static_cast<double>(in_len) / kIn;
    for (int i = 0; i < kIn; ++i) {
        const double src = ratio * i;
        const double fl = std::max(0.0, std::floor(src));
        taps[static_cast<std::size_t>(i)] = {static_cast<int>(fl), std::min(in_len - 1, static_cast<int>(std::ceil(src))),
                                             src - fl};
    }
    return taps;
}

// TF's intersection over union of two (ymin, xmin, ymax, xmax) boxes (corners in any order).
float iou(const float* a, const float* b) {
    const float ay0 = std::min(a[0], a[2]), ax0 = std::min(a[1], a[3]), ay1 = std::max(a[0], a[2]), ax1 = std::max(a[1], a[3]);
    const float by0 = std::min(b[0], b[2]), bx0 = std::min(b[1], b[3]), by1 = std::max(b[0], b[2]), bx1 = std::max(b[1], b[3]);
    const float area_a = (ay1 - ay0) * (ax1 - ax0), area_b = (by1 - by0) * (bx1 - bx0);
    if (area_a <= 0 || area_b <= 0) return 0.0f;
    const float ih = std::max(0.0f, std::min(ay1, by1) - std::max(ay0, by0));
    const float iw = std::max(0.0f, std::min(ax1, bx1) - std::max(ax0, bx0));
    const float inter = ih * iw;
    return inter / (area_a + area_b - inter);
}

}  // namespace

struct HandDetector::Impl {
    cv::dnn::Net net;
    std::filesystem::path path;
    cv::Mat input, blob;
    std::vector<cv::Mat> outs;

    HandDetectorOutputs forward(const cv::Mat& in) {
        if (in.rows != kIn || in.cols != kIn || in.type() != CV_32FC3)
            throw FeatureError("hand detector: network input must be 320x320 CV_32FC3 (RGB -1..1)");
        keypoint_net::to_nchw(in, blob);
        keypoint_net::forward(net, blob, output_names(), outs, path, "hand detector");
        HandDetectorOutputs o;
        std::vector<float>* dst[2] = {&o.boxes, &o.scores};
        const std::size_t sizes[2] = {static_cast<std::size_t>(kAnchors) * 4, static_cast<std::size_t>(kAnchors) * kClasses};
        for (std::size_t i = 0; i < 2; ++i) {
            cv::Mat m = outs[i].isContinuous() ? outs[i] : outs[i].clone();
            if (m.type() != CV_32F || m.total() != sizes[i])
                throw FeatureError("hand detector: output '" + output_names()[i] + "' of " + path.string() + " has " +
                                   std::to_string(m.total()) + " values, expected " + std::to_string(sizes[i]));
            dst[i]->assign(m.ptr<float>(), m.ptr<float>() + sizes[i]);
        }
        return o;
    }
};

HandDetector::HandDetector(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
HandDetector::HandDetector(HandDetector&&) noexcept = default;
HandDetector& HandDetector::operator=(HandDetector&&) noexcept = default;
HandDetector::~HandDetector() = default;

const char* HandDetector::class_name(int label) {
    static const char* const names[kClasses] = {"open", "closed", "pinch", "point", "face", "tip", "pinchtip"};
    return label >= 0 && label < kClasses ? names[label] : "?";
}

HandDetector HandDetector::load(const std::filesystem::path& onnx, int max_threads) {
    auto impl = std::make_unique<Impl>();
    impl->path = onnx;
    impl->net = keypoint_net::open(onnx, output_names(), max_threads, "hand detector");
    impl->forward(cv::Mat::zeros(kIn, kIn, CV_32FC3));  // dry run: checks the outputs' sizes
    return HandDetector(std::move(impl));
}

void HandDetector::preprocess(const cv::Mat& frame, cv::Mat& input_rgb320) {
    keypoint_net::check_frame(frame, "hand detector");
    // the original's input is 8-bit RGB
    cv::Mat u8, rgb;
    if (frame.depth() == CV_8U)
        u8 = frame;
    else
        frame.convertTo(u8, CV_8U, frame.depth() == CV_16U ? 1.0 / 257.0 : 255.0);
    const int ch = u8.channels();
    cv::cvtColor(u8, rgb, ch == 1 ? cv::COLOR_GRAY2RGB : (ch == 3 ? cv::COLOR_BGR2RGB : cv::COLOR_BGRA2RGB));
    // its preprocessor: float(x) * (2/255 as float) - 1 in float32, then the resize (double, stored as float)
    std::array<float, 256> norm{};
    const float k = 0.00784313772f;  // the graph's constant (2/255 in float32)
    for (int v = 0; v < 256; ++v) norm[static_cast<std::size_t>(v)] = static_cast<float>(v) * k - 1.0f;
    const auto ty = make_taps(rgb.rows), tx = make_taps(rgb.cols);
    input_rgb320.create(kIn, kIn, CV_32FC3);
    for (int y = 0; y < kIn; ++y) {
        const Tap& r = ty[static_cast<std::size_t>(y)];
        const std::uint8_t* top = rgb.ptr<std::uint8_t>(r.lo);
        const std::uint8_t* bot = rgb.ptr<std::uint8_t>(r.hi);
        float* out = input_rgb320.ptr<float>(y);
        for (int x = 0; x < kIn; ++x) {
            const Tap& c = tx[static_cast<std::size_t>(x)];
            for (int k3 = 0; k3 < 3; ++k3) {
                const double tl = norm[top[c.lo * 3 + k3]], tr = norm[top[c.hi * 3 + k3]];
                const double bl = norm[bot[c.lo * 3 + k3]], br = norm[bot[c.hi * 3 + k3]];
                const double t = tl + (tr - tl) * c.frac, b = bl + (br - bl) * c.frac;
                out[x * 3 + k3] = static_cast<float>(t + (b - t) * r.frac);
            }
        }
    }
}

HandDetectorOutputs HandDetector::infer(const cv::Mat& input_rgb320) { return m_impl->forward(input_rgb320); }

std::vector<HandBox> HandDetector::decode(const HandDetectorOutputs& out, int width, int height, float min_score,
                                          float max_iou, int max_boxes) {
    if (out.boxes.size() != static_cast<std::size_t>(kAnchors) * 4 ||
        out.scores.size() != static_cast<std::size_t>(kAnchors) * kClasses)
        throw FeatureError("hand detector: decode needs 12804 boxes and 12804 x 7 scores");
    std::vector<float> best(kAnchors, 0.0f);
    std::vector<int> label(kAnchors, 0), cand;
    for (int i = 0; i < kAnchors; ++i) {
        const float* s = &out.scores[static_cast<std::size_t>(i) * kClasses];
        float b = -1.0f;
        for (int c = 0; c < kClasses; ++c)
            if (c != kFaceClass && s[c] > b) {
                b = s[c];
                label[static_cast<std::size_t>(i)] = c;
            }
        best[static_cast<std::size_t>(i)] = b;
        if (b > min_score) cand.push_back(i);  // tf.image.nonMaxSuppression keeps scores above the threshold
    }
    // greedy suppression in score order (ties: lower anchor first), as tf.image.nonMaxSuppression
    std::stable_sort(cand.begin(), cand.end(),
                     [&](int a, int b) { return best[static_cast<std::size_t>(a)] > best[static_cast<std::size_t>(b)]; });
    std::vector<int> kept;
    for (const int i : cand) {
        if (static_cast<int>(kept.size()) >= max_boxes) break;
        const float* bi = &out.boxes[static_cast<std::size_t>(i) * 4];
        bool keep = true;
        for (const int j : kept)
            if (iou(bi, &out.boxes[static_cast<std::size_t>(j) * 4]) > max_iou) {
                keep = false;
                break;
            }
        if (keep) kept.push_back(i);
    }
    std::vector<HandBox> boxes;
    for (const int i : kept) {
        const float* b = &out.boxes[static_cast<std::size_t>(i) * 4];
        HandBox hb;
        hb.x = b[1] * static_cast<float>(width);
        hb.y = b[0] * static_cast<float>(height);
        hb.w = (b[3] - b[1]) * static_cast<float>(width);
        hb.h = (b[2] - b[0]) * static_cast<float>(height);
        hb.score = best[static_cast<std::size_t>(i)];
        hb.label = label[static_cast<std::size_t>(i)];
        boxes.push_back(hb);
    }
    return boxes;
}

std::vector<HandBox> HandDetector::run(const cv::Mat& frame, float min_score, float max_iou, int max_boxes) {
    preprocess(frame, m_impl->input);
    return decode(m_impl->forward(m_impl->input), frame.cols, frame.rows, min_score, max_iou, max_boxes);
}

}  // namespace colive
