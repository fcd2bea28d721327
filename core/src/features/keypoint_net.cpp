// SPDX-License-Identifier: MIT
#include "keypoint_net.h"

#include "colive/features.h"
#include "opencv_threads.h"

#include <algorithm>

namespace colive::keypoint_net {
namespace {
std::string one_line(const cv::Exception& e) {
    std::string s = e.err.empty() ? e.msg : e.err;
    std::replace(s.begin(), s.end(), '\n', ' ');
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}
}  // namespace

cv::dnn::Net open(const std::filesystem::path& onnx, const std::vector<std::string>& outputs, int max_threads,
                  const std::string& what) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(onnx, ec))
        throw FeatureError(what + ": model not found: " + onnx.string() + " (run scripts/setup-pose-models.sh)");
    opencv_threads_for_sanitizers();
    if (max_threads > 0 && cv::getNumThreads() > max_threads) cv::setNumThreads(max_threads);
    cv::dnn::Net net;
    try {
        net = cv::dnn::readNetFromONNX(onnx.string());
    } catch (const cv::Exception& e) {
        throw FeatureError(what + ": OpenCV DNN cannot read " + onnx.string() + ": " + one_line(e));
    }
    if (net.empty()) throw FeatureError(what + ": OpenCV DNN cannot read " + onnx.string());
    for (const auto& name : outputs)
        if (net.getLayerId(name) < 0)
            throw FeatureError(what + ": " + onnx.string() + " has no output '" + name +
                               "' (not the converted network: run scripts/setup-pose-models.sh)");
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return net;
}

void forward(cv::dnn::Net& net, const cv::Mat& blob, const std::vector<std::string>& outputs, std::vector<cv::Mat>& outs,
             const std::filesystem::path& onnx, const std::string& what) {
    try {
        net.setInput(blob, "input");
        net.forward(outs, outputs);
    } catch (const cv::Exception& e) {
        throw FeatureError(what + ": forward failed on " + onnx.string() + ": " + one_line(e));
    }
    if (outs.size() != outputs.size()) throw FeatureError(what + ": " + onnx.string() + " gives the wrong outputs");
}

void check_frame(const cv::Mat& frame, const std::string& what) {
    if (frame.empty() || frame.dims != 2) throw FeatureError(what + ": empty or non-2-D frame");
    const int d = frame.depth(), ch = frame.channels();
    if (d != CV_8U && d != CV_16U && d != CV_32F)
        throw FeatureError(what + ": frames must be 8-bit, 16-bit or float (0..1), got depth " + std::to_string(d));
    if (ch != 1 && ch != 3 && ch != 4)
        throw FeatureError(what + ": frames must have 1, 3 or 4 channels, got " + std::to_string(ch));
}

void to_nchw(const cv::Mat& hwc, cv::Mat& blob) {
    const int h = hwc.rows, w = hwc.cols;
    const int shape[4] = {1, 3, h, w};
    blob.create(4, shape, CV_32F);
    float* b = blob.ptr<float>();
    for (int y = 0; y < h; ++y) {
        const float* r = hwc.ptr<float>(y);
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < 3; ++c) b[(static_cast<std::size_t>(c) * h + y) * w + x] = r[x * 3 + c];
    }
}

}  // namespace colive::keypoint_net
