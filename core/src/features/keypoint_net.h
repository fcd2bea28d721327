// SPDX-License-Identifier: MIT
// Internal: a converted keypoint network (models/pose/*.onnx, scripts/setup-pose-models.sh) opened
// with OpenCV DNN, with named outputs and one-line errors. Shared by PoseNet and HandLandmarks.
#pragma once

#include <opencv2/dnn.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace colive::keypoint_net {

// Opens `onnx`, checks that it has every one of `outputs`, and lowers OpenCV's process-global
// thread count to max_threads when it is higher (0: leave it). `what` names the network in
// messages ("pose", "hand"). Throws FeatureError with one line.
cv::dnn::Net open(const std::filesystem::path& onnx, const std::vector<std::string>& outputs, int max_threads,
                  const std::string& what);

// net.forward of the named outputs for one NCHW float blob; a cv::Exception becomes a one-line
// FeatureError naming the file.
void forward(cv::dnn::Net& net, const cv::Mat& blob, const std::vector<std::string>& outputs, std::vector<cv::Mat>& outs,
             const std::filesystem::path& onnx, const std::string& what);

// Frames the keypoint networks take: non-empty 2-D, 8/16-bit or float, 1/3/4 channels.
void check_frame(const cv::Mat& frame, const std::string& what);

// HWC float image (rows x cols x 3) -> NCHW 1x3xHxW blob.
void to_nchw(const cv::Mat& hwc, cv::Mat& blob);

}  // namespace colive::keypoint_net
