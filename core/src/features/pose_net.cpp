// SPDX-License-Identifier: MIT
// MoveNet SinglePose Lightning through OpenCV DNN: letterbox/crop sampling, the network's four
// heads, MoveNet's decode and the crop-region tracking of its reference demos. See colive/pose.h.
#include "colive/pose.h"

#include "colive/features.h"
#include "keypoint_net.h"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace colive {
namespace {

constexpr int kIn = PoseNet::kInputSize;
constexpr int kGrid = PoseHeads::kGrid;
constexpr int kCells = kGrid * kGrid;
// MoveNet's decode constants exactly as its graph stores them (fp16): 1.8 and 1/48.
constexpr float kDistanceOffset = 1.7998046875f;
constexpr float kInvGrid = 0.0208282470703125f;
// Tracking thresholds of MoveNet's reference cropping algorithm.
constexpr float kMinCrossKpScore = 0.2f;
constexpr float kTorsoExpand = 1.9f;
constexpr float kBodyExpand = 1.2f;
// The crop is kept while the new one's centre moves less than kKeepShift and its side changes less
// than kKeepScale of the current side.
constexpr float kKeepShift = 0.08f;
// A crop larger than this fraction of the whole (letterboxed) frame is not used: the whole frame is
// (as in the reference algorithm; 0.8 made the 18 real gesture clips' shoulders 11 % less steady).
constexpr float kMaxCrop = 1.0f;
constexpr float kKeepScale = 0.15f;
// Upper-body keypoints whose mean score is the person score: face, shoulders, elbows, wrists.
constexpr int kUpperBody = 11;

const std::vector<std::string>& output_names() {
    static const std::vector<std::string> names{"centre", "heatmap", "regression", "offset"};
    return names;
}

// A square region of the frame (integer pixels, may extend past the frame's edges, which read as
// black) that is resized to the network input.
struct Region {
    int x0 = 0, y0 = 0, side = 0;
};

Region full_frame_region(int w, int h) {
    const int side = std::max(w, h);
    return {-(side - w) / 2, -(side - h) / 2, side};
}

// One axis of the half-pixel bilinear resize of a `side`-long canvas to kIn samples, exactly as
// tf.image.resizeBilinear(halfPixelCenters=true) (tfjs CPU kernel): source index clamped in the
// canvas, weight computed in double. Indices are then moved into frame coordinates (-1 = outside).
struct Tap {
    int lo = -1, hi = -1;
    double frac = 0;
};

void make_taps(int origin, int side, int frame_len, std::array<Tap, kIn>& taps) {
    const double ratio = static_cast<double>(side) / kIn;
    for (int i = 0; i < kIn; ++i) {
        const double src = ratio * (i + 0.5) - 0.5;
        const double fl = std::max(0.0, std::floor(src));
        const int lo = static_cast<int>(fl);
        const int hi = std::min(side - 1, static_cast<int>(std::ceil(src)));
        const int flo = origin + lo, fhi = origin + hi;
        taps[static_cast<std::size_t>(i)] = {flo >= 0 && flo < frame_len ? flo : -1,
                                             fhi >= 0 && fhi < frame_len ? fhi : -1, src - fl};
    }
}

template <typename T>
void sample_region(const cv::Mat& frame, const Region& r, double scale, cv::Mat& out) {
    std::array<Tap, kIn> tx{}, ty{};
    make_taps(r.x0, r.side, frame.cols, tx);
    make_taps(r.y0, r.side, frame.rows, ty);
    const int ch = frame.channels();
    // RGB from BGR(A) or grey
    const int src_c[3] = {ch >= 3 ? 2 : 0, ch >= 3 ? 1 : 0, 0};
    out.create(kIn, kIn, CV_32FC3);
    auto px = [&](int y, int x, int c) -> double {
        if (y < 0 || x < 0) return 0.0;
        return static_cast<double>(frame.ptr<T>(y)[x * ch + src_c[c]]) * scale;
    };
    for (int oy = 0; oy < kIn; ++oy) {
        const Tap& a = ty[static_cast<std::size_t>(oy)];
        float* o = out.ptr<float>(oy);
        for (int ox = 0; ox < kIn; ++ox) {
            const Tap& b = tx[static_cast<std::size_t>(ox)];
            for (int c = 0; c < 3; ++c) {
                const double tl = px(a.lo, b.lo, c), tr = px(a.lo, b.hi, c);
                const double bl = px(a.hi, b.lo, c), br = px(a.hi, b.hi, c);
                const double top = tl + (tr - tl) * b.frac;
                const double bottom = bl + (br - bl) * b.frac;
                // The original network takes int32 pixels: round half to even like tf.round.
                const float v = static_cast<float>(top + (bottom - top) * a.frac);
                o[ox * 3 + c] = std::clamp(std::nearbyint(v), 0.0f, 255.0f);
            }
        }
    }
}

void sample(const cv::Mat& frame, const Region& r, cv::Mat& out) {
    switch (frame.depth()) {
    case CV_8U: sample_region<std::uint8_t>(frame, r, 1.0, out); break;
    case CV_16U: sample_region<std::uint16_t>(frame, r, 255.0 / 65535.0, out); break;
    default: sample_region<float>(frame, r, 255.0, out); break;
    }
}

}  // namespace

struct PoseNet::Impl {
    cv::dnn::Net net;
    std::filesystem::path path;
    cv::Mat blob, input;
    std::vector<cv::Mat> outs;
    PoseHeads heads;
    // tracking
    bool tracking = false;
    Region region;
    int frame_w = 0, frame_h = 0;

    void forward(const cv::Mat& in, PoseHeads& h) {
        if (in.rows != kIn || in.cols != kIn || in.type() != CV_32FC3)
            throw FeatureError("pose: network input must be 192x192 CV_32FC3 (RGB 0..255)");
        keypoint_net::to_nchw(in, blob);
        keypoint_net::forward(net, blob, output_names(), outs, path, "pose");
        static const int channels[4] = {1, kPoseKeypoints, 2 * kPoseKeypoints, 2 * kPoseKeypoints};
        std::vector<float>* dst[4] = {&h.centre, &h.heatmap, &h.regression, &h.offset};
        for (std::size_t i = 0; i < 4; ++i) {
            cv::Mat o = outs[i];
            const bool ok = o.dims == 4 && o.size[0] == 1 && o.size[1] == channels[i] && o.size[2] == kGrid &&
                            o.size[3] == kGrid && o.type() == CV_32F;
            if (!ok)
                throw FeatureError("pose: output '" + output_names()[i] + "' of " + path.string() +
                                   " is not 1x" + std::to_string(channels[i]) + "x48x48 float");
            if (!o.isContinuous()) o = o.clone();
            dst[i]->assign(o.ptr<float>(), o.ptr<float>() + o.total());
        }
    }

    // MoveNet's torso/body based crop for the next frame (reference cropping algorithm), with the
    // shoulders standing in for the hips when the hips are out of view (a person at a desk).
    // Returns false when the whole frame should be used.
    bool next_region(const PoseFrame& f) {
        const auto& kp = f.kp;
        auto vis = [&](int i) { return kp[static_cast<std::size_t>(i)].score > kMinCrossKpScore; };
        const bool shoulders = vis(5) || vis(6);
        const bool hips = vis(11) || vis(12);
        if (!f.present || !shoulders) return false;
        const int a = hips ? 11 : 5, b = hips ? 12 : 6;
        const float cx = (kp[static_cast<std::size_t>(a)].x + kp[static_cast<std::size_t>(b)].x) * 0.5f;
        const float cy = (kp[static_cast<std::size_t>(a)].y + kp[static_cast<std::size_t>(b)].y) * 0.5f;
        float torso_x = 0, torso_y = 0, body_x = 0, body_y = 0;
        for (int i : {5, 6, 11, 12}) {
            if (!vis(i)) continue;
            torso_x = std::max(torso_x, std::abs(cx - kp[static_cast<std::size_t>(i)].x));
            torso_y = std::max(torso_y, std::abs(cy - kp[static_cast<std::size_t>(i)].y));
        }
        for (int i = 0; i < kPoseKeypoints; ++i) {
            if (!vis(i)) continue;
            body_x = std::max(body_x, std::abs(cx - kp[static_cast<std::size_t>(i)].x));
            body_y = std::max(body_y, std::abs(cy - kp[static_cast<std::size_t>(i)].y));
        }
        float half = std::max({torso_x * kTorsoExpand, torso_y * kTorsoExpand, body_x * kBodyExpand, body_y * kBodyExpand});
        const float w = static_cast<float>(frame_w), h = static_cast<float>(frame_h);
        half = std::min(half, std::max({cx, w - cx, cy, h - cy}));
        if (!(half > 0) || 2 * half > kMaxCrop * std::max(w, h)) return false;
        half = std::max(half, 8.0f);  // never sample a few pixels up to the whole input
        const Region next{static_cast<int>(std::lround(cx - half)), static_cast<int>(std::lround(cy - half)),
                          static_cast<int>(std::lround(2 * half))};
        // Keep the current crop while the new one is close to it: the network then sees the same
        // framing from frame to frame, so a still person gives still keypoints (no crop feedback jitter).
        if (tracking) {
            const float s = static_cast<float>(region.side);
            const float dc = std::hypot(static_cast<float>(next.x0 - region.x0) + (next.side - region.side) * 0.5f,
                                        static_cast<float>(next.y0 - region.y0) + (next.side - region.side) * 0.5f);
            if (dc < kKeepShift * s && std::abs(static_cast<float>(next.side) - s) < kKeepScale * s) return true;
        }
        region = next;
        return region.side >= 2;
    }

    PoseFrame run_region(const cv::Mat& frame, const Region& r, const PoseNet& self) {
        sample(frame, r, input);
        forward(input, heads);
        const auto kp = self.decode(heads);
        PoseFrame f;
        f.width = frame.cols;
        f.height = frame.rows;
        float sum = 0;
        for (int i = 0; i < kPoseKeypoints; ++i) {
            const auto& k = kp[static_cast<std::size_t>(i)];
            f.kp[static_cast<std::size_t>(i)] = {static_cast<float>(r.x0 + static_cast<double>(k.x) * r.side),
                                                 static_cast<float>(r.y0 + static_cast<double>(k.y) * r.side), k.score};
            if (i < kUpperBody) sum += k.score;
        }
        f.score = sum / kUpperBody;
        f.present = f.score >= kPresentScore;
        return f;
    }
};

PoseNet::PoseNet(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
PoseNet::PoseNet(PoseNet&&) noexcept = default;
PoseNet& PoseNet::operator=(PoseNet&&) noexcept = default;
PoseNet::~PoseNet() = default;

PoseNet PoseNet::load(const std::filesystem::path& onnx, int max_threads) {
    auto impl = std::make_unique<Impl>();
    impl->path = onnx;
    impl->net = keypoint_net::open(onnx, output_names(), max_threads, "pose");
    impl->input = cv::Mat::zeros(kIn, kIn, CV_32FC3);
    impl->forward(impl->input, impl->heads);  // dry run: checks the four heads' shapes
    return PoseNet(std::move(impl));
}

void PoseNet::reset() {
    m_impl->tracking = false;
    m_impl->frame_w = m_impl->frame_h = 0;
}

void PoseNet::preprocess(const cv::Mat& frame, cv::Mat& input_rgb192) {
    keypoint_net::check_frame(frame, "pose");
    sample(frame, full_frame_region(frame.cols, frame.rows), input_rgb192);
}

PoseHeads PoseNet::infer(const cv::Mat& input_rgb192) {
    PoseHeads h;
    m_impl->forward(input_rgb192, h);
    return h;
}

std::array<PoseKeypoint, kPoseKeypoints> PoseNet::decode(const PoseHeads& h) const {
    if (h.centre.size() != kCells || h.heatmap.size() != std::size_t{kPoseKeypoints} * kCells ||
        h.regression.size() != std::size_t{2 * kPoseKeypoints} * kCells || h.offset.size() != h.regression.size())
        throw FeatureError("pose: decode needs the four 48x48 heads");
    // Person centre: first arg-max of the prior-weighted centre map (row-major, as tf.argMax).
    const int c = static_cast<int>(std::max_element(h.centre.begin(), h.centre.end()) - h.centre.begin());
    const int cy = c / kGrid, cx = c % kGrid;
    std::array<PoseKeypoint, kPoseKeypoints> kp{};
    for (int k = 0; k < kPoseKeypoints; ++k) {
        const float ry = static_cast<float>(cy) + h.regression[static_cast<std::size_t>((2 * k) * kCells + c)];
        const float rx = static_cast<float>(cx) + h.regression[static_cast<std::size_t>((2 * k + 1) * kCells + c)];
        const float* heat = h.heatmap.data() + static_cast<std::size_t>(k) * kCells;
        float best = -std::numeric_limits<float>::infinity();
        int bi = 0;
        for (int y = 0; y < kGrid; ++y) {
            const float dy = static_cast<float>(y) - ry;
            for (int x = 0; x < kGrid; ++x) {
                const float dx = static_cast<float>(x) - rx;
                const float d = std::sqrt(dy * dy + dx * dx);
                const float v = heat[y * kGrid + x] / (d + kDistanceOffset);
                if (v > best) {
                    best = v;
                    bi = y * kGrid + x;
                }
            }
        }
        const int by = bi / kGrid, bx = bi % kGrid;
        const float oy = h.offset[static_cast<std::size_t>((2 * k) * kCells + bi)];
        const float ox = h.offset[static_cast<std::size_t>((2 * k + 1) * kCells + bi)];
        kp[static_cast<std::size_t>(k)] = {(static_cast<float>(bx) + ox) * kInvGrid, (static_cast<float>(by) + oy) * kInvGrid,
                                           heat[bi]};
    }
    return kp;
}

PoseFrame PoseNet::run(const cv::Mat& frame) {
    keypoint_net::check_frame(frame, "pose");
    auto& I = *m_impl;
    if (frame.cols != I.frame_w || frame.rows != I.frame_h) {
        I.tracking = false;
        I.frame_w = frame.cols;
        I.frame_h = frame.rows;
    }
    const Region full = full_frame_region(frame.cols, frame.rows);
    PoseFrame f = I.run_region(frame, I.tracking ? I.region : full, *this);
    if (I.tracking && !f.present) f = I.run_region(frame, full, *this);  // lost in the crop: look again at the whole frame
    I.tracking = I.next_region(f);
    return f;
}

}  // namespace colive
