// SPDX-License-Identifier: MIT
// MediaPipe hand landmark (lite) through OpenCV DNN, on a rotated square crop placed from PoseNet's
// elbow and wrist. See colive/hand.h.
#include "colive/hand.h"

#include "colive/features.h"
#include "keypoint_net.h"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace colive {
namespace {

constexpr int kIn = HandLandmarks::kInputSize;

const std::vector<std::string>& output_names() {
    static const std::vector<std::string> names{"landmarks", "presence", "handedness", "world"};
    return names;
}

// Crop geometry: frame point (continuous pixel coordinates, pixel i spans [i, i+1)) of crop
// coordinates (u, v) in 0..224: p = c + s * ((u - 112) * ex + (v - 112) * ey), s = side / 224,
// ex = (cos a, sin a), ey = (-sin a, cos a) (the forearm points along -ey, "up" in the crop).
struct CropFrame {
    float cx, cy, s, ca, sa;
    float x(float u, float v) const { return cx + s * ((u - kIn / 2.0f) * ca - (v - kIn / 2.0f) * sa); }
    float y(float u, float v) const { return cy + s * ((u - kIn / 2.0f) * sa + (v - kIn / 2.0f) * ca); }
};

}  // namespace

struct HandLandmarks::Impl {
    cv::dnn::Net net;
    std::filesystem::path path;
    cv::Mat blob, warped, f32, input;
    std::vector<cv::Mat> outs;

    HandOutputs forward(const cv::Mat& in) {
        if (in.rows != kIn || in.cols != kIn || in.type() != CV_32FC3)
            throw FeatureError("hand: network input must be 224x224 CV_32FC3 (RGB 0..1)");
        keypoint_net::to_nchw(in, blob);
        keypoint_net::forward(net, blob, output_names(), outs, path, "hand");
        HandOutputs o;
        const std::size_t sizes[4] = {o.landmarks.size(), 1, 1, o.world.size()};
        float* dst[4] = {o.landmarks.data(), &o.presence, &o.handedness, o.world.data()};
        for (std::size_t i = 0; i < 4; ++i) {
            cv::Mat m = outs[i].isContinuous() ? outs[i] : outs[i].clone();
            if (m.type() != CV_32F || m.total() != sizes[i])
                throw FeatureError("hand: output '" + output_names()[i] + "' of " + path.string() + " has " +
                                   std::to_string(m.total()) + " values, expected " + std::to_string(sizes[i]));
            std::copy(m.ptr<float>(), m.ptr<float>() + sizes[i], dst[i]);
        }
        return o;
    }
};

HandLandmarks::HandLandmarks(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
HandLandmarks::HandLandmarks(HandLandmarks&&) noexcept = default;
HandLandmarks& HandLandmarks::operator=(HandLandmarks&&) noexcept = default;
HandLandmarks::~HandLandmarks() = default;

HandLandmarks HandLandmarks::load(const std::filesystem::path& onnx, int max_threads) {
    auto impl = std::make_unique<Impl>();
    impl->path = onnx;
    impl->net = keypoint_net::open(onnx, output_names(), max_threads, "hand");
    impl->forward(cv::Mat::zeros(kIn, kIn, CV_32FC3));  // dry run: checks the outputs' sizes
    return HandLandmarks(std::move(impl));
}

bool HandLandmarks::crop(const PoseFrame& body, int wrist, float& cx, float& cy, float& side, float& angle) {
    if (wrist != 9 && wrist != 10) throw FeatureError("hand: wrist must be body keypoint 9 or 10");
    const PoseKeypoint& w = body.kp[static_cast<std::size_t>(wrist)];
    const PoseKeypoint& e = body.kp[static_cast<std::size_t>(wrist - 2)];
    if (!body.present || w.score < kMinArmScore || e.score < kMinArmScore) return false;
    const float fx = w.x - e.x, fy = w.y - e.y, len = std::hypot(fx, fy);
    if (!(len >= 4.0f)) return false;  // elbow on the wrist: no direction
    cx = w.x + kCentre * fx;
    cy = w.y + kCentre * fy;
    side = kSide * len;
    angle = std::atan2(fx / len, -fy / len);  // sin a = f.x, cos a = -f.y: the forearm points up in the crop
    return true;
}

HandObservation observe(const HandFrame& h) {
    HandObservation o;
    o.looked = h.crop_side > 0.0f;
    o.present = o.looked && h.present;
    if (o.present) o.size_px = std::hypot(h.lm[9].x - h.lm[0].x, h.lm[9].y - h.lm[0].y);
    return o;
}

HandOutputs HandLandmarks::infer(const cv::Mat& input_rgb224) { return m_impl->forward(input_rgb224); }

HandFrame HandLandmarks::run(const cv::Mat& frame, const PoseFrame& body, int wrist) {
    keypoint_net::check_frame(frame, "hand");
    float cx = 0, cy = 0, side = 0, angle = 0;
    if (!crop(body, wrist, cx, cy, side, angle)) {
        HandFrame h;
        h.wrist = wrist;
        return h;
    }
    HandFrame h = run_crop(frame, cx, cy, side, angle);
    h.wrist = wrist;
    h.source = HandCropSource::wrist;
    return h;
}

HandFrame HandLandmarks::run_crop(const cv::Mat& frame, float cx, float cy, float side, float angle) {
    keypoint_net::check_frame(frame, "hand");
    if (!(side > 0.0f) || !std::isfinite(cx) || !std::isfinite(cy) || !std::isfinite(side) || !std::isfinite(angle))
        throw FeatureError("hand: crop needs a finite centre and angle and a positive side");
    HandFrame h;
    h.crop_cx = cx;
    h.crop_cy = cy;
    h.crop_side = side;
    h.crop_angle = angle;
    auto& I = *m_impl;
    const CropFrame cf{h.crop_cx, h.crop_cy, h.crop_side / kIn, std::cos(h.crop_angle), std::sin(h.crop_angle)};
    // dst pixel (u, v) samples the frame at p(u + 0.5, v + 0.5) - 0.5 (pixel-centre convention of warpAffine)
    const float bx = cf.x(0.5f, 0.5f) - 0.5f, by = cf.y(0.5f, 0.5f) - 0.5f;
    const cv::Matx23f M(cf.s * cf.ca, -cf.s * cf.sa, bx, cf.s * cf.sa, cf.s * cf.ca, by);
    cv::warpAffine(frame, I.warped, M, cv::Size(kIn, kIn), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT,
                   cv::Scalar::all(0));
    const double scale = frame.depth() == CV_8U ? 1.0 / 255.0 : (frame.depth() == CV_16U ? 1.0 / 65535.0 : 1.0);
    I.warped.convertTo(I.f32, CV_32F, scale);
    const int ch = I.f32.channels();
    cv::cvtColor(I.f32, I.input, ch == 1 ? cv::COLOR_GRAY2RGB : (ch == 3 ? cv::COLOR_BGR2RGB : cv::COLOR_BGRA2RGB));
    const HandOutputs o = I.forward(I.input);
    h.presence = o.presence;
    h.handedness = o.handedness;
    h.present = o.presence >= kPresentScore;
    for (int i = 0; i < kHandLandmarks; ++i) {
        const float u = o.landmarks[static_cast<std::size_t>(3 * i)], v = o.landmarks[static_cast<std::size_t>(3 * i + 1)];
        h.lm[static_cast<std::size_t>(i)] = {cf.x(u, v), cf.y(u, v), o.landmarks[static_cast<std::size_t>(3 * i + 2)] * cf.s};
    }
    return h;
}

}  // namespace colive
