// SPDX-License-Identifier: MIT
// HandDetector (the handtrack hand detector converted to ONNX, run by OpenCV DNN) against the ORIGINAL
// tfjs graph run whole in node (tests/golden/pose/hand_detector_golden.json, models/pose/golden/
// make_golden.sh): boxes and scores on a seeded random image and on a real photo (its own
// preprocessing included), the detections after suppression; blank, grey and odd-sized frames; one-line
// errors. Skips without the converted model unless COLIVE_REQUIRE_POSE_MODEL=1 (as test_pose_net.cpp).
#include "colive/features.h"
#include "colive/hand_detector.h"
#include "pose_test_paths.h"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

using colive::FeatureError;
using colive::HandBox;
using colive::HandDetector;
namespace fs = std::filesystem;

namespace {
const std::string& kGolden = colive::test::kPoseGolden;
const fs::path kModel = colive::test::pose_model("handtrack");

class HandDetectorTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!colive::test::have_pose_model(kModel)) GTEST_SKIP() << kModel << " missing (scripts/setup-pose-models.sh makes it)";
        static std::optional<HandDetector> shared;
        if (!shared) shared.emplace(HandDetector::load(kModel));
        net = &*shared;
        golden.open(kGolden + "hand_detector_golden.json", cv::FileStorage::READ | cv::FileStorage::FORMAT_JSON);
        ASSERT_TRUE(golden.isOpened());
    }
    // The outputs on one frame against the golden anchors (every 128th and the 20 best).
    void expect_anchors_match(const cv::Mat& frame, const cv::FileNode& g, const char* name) {
        cv::Mat in;
        HandDetector::preprocess(frame, in);
        const colive::HandDetectorOutputs o = net->infer(in);
        double box = 0, score = 0;
        int n = 0;
        for (const char* list : {"every_128th", "top"}) {
            for (const auto& a : g[list]) {
                const int i = static_cast<int>(a["index"]);
                for (int k = 0; k < 4; ++k)
                    box = std::max(box, std::abs(o.boxes[static_cast<std::size_t>(4 * i + k)] - static_cast<double>(a["box"][k])));
                for (int c = 0; c < HandDetector::kClasses; ++c)
                    score = std::max(score, std::abs(o.scores[static_cast<std::size_t>(HandDetector::kClasses * i + c)] -
                                                     static_cast<double>(a["scores"][c])));
                ++n;
            }
        }
        std::printf("%s: %d anchors, boxes max |diff| %.3g (units of the frame size), scores %.3g\n", name, n, box, score);
        EXPECT_GT(n, 100);
        // measured: boxes 9.5e-7 (random) / 5.1e-6 (photo), scores 9.4e-7 / 9.3e-6
        EXPECT_LT(box, 1e-3) << name;
        EXPECT_LT(score, 1e-4) << name;
    }
    HandDetector* net = nullptr;
    cv::FileStorage golden;
};

// make_golden.js's random image: 32-bit LCG, seed 20261129, value = state >> 24, RGB in row order.
cv::Mat random_bgr() {
    cv::Mat rgb(HandDetector::kInputSize, HandDetector::kInputSize, CV_8UC3), bgr;
    std::uint32_t s = 20261129u;
    auto* p = rgb.ptr<std::uint8_t>();
    for (int i = 0; i < HandDetector::kInputSize * HandDetector::kInputSize * 3; ++i) {
        s = s * 1664525u + 1013904223u;
        p[i] = static_cast<std::uint8_t>(s >> 24);
    }
    cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
    return bgr;
}
}  // namespace

TEST_F(HandDetectorTest, OutputsMatchOriginalGraphOnRandomImage) {
    const cv::Mat bgr = random_bgr();
    // 320x320 in: the resize is the identity and the input is the graph's x * (2/255) - 1
    cv::Mat in;
    HandDetector::preprocess(bgr, in);
    const cv::Vec3b px = bgr.at<cv::Vec3b>(17, 201);
    EXPECT_EQ(in.at<cv::Vec3f>(17, 201)[0], static_cast<float>(px[2]) * 0.00784313772f - 1.0f);
    expect_anchors_match(bgr, golden["inputs"]["random"], "random image");
}

TEST_F(HandDetectorTest, OutputsAndDetectionsMatchOriginalGraphOnPhoto) {
    // basketball1 (grey) at 331x207: both axes resampled, by non-integer ratios, by our preprocessing
    const cv::Mat grey = cv::imread(kGolden + "basketball1_331x207.png", cv::IMREAD_UNCHANGED);
    ASSERT_EQ(grey.type(), CV_8UC1);
    ASSERT_EQ(grey.cols, 331);
    const cv::FileNode g = golden["inputs"]["basketball1_small"];
    expect_anchors_match(grey, g, "basketball1 331x207");
    const float iou = static_cast<float>(golden["nms"]["iou"]), min_score = static_cast<float>(golden["nms"]["min_score"]);
    const std::vector<HandBox> boxes = net->run(grey, min_score, iou, static_cast<int>(golden["nms"]["max"]));
    const cv::FileNode want = g["detections"];
    ASSERT_EQ(boxes.size(), want.size());
    double d = 0;
    for (std::size_t i = 0; i < boxes.size(); ++i) {
        const cv::FileNode w = want[static_cast<int>(i)];
        EXPECT_EQ(boxes[i].label, static_cast<int>(w["label"]));
        EXPECT_NEAR(boxes[i].score, static_cast<double>(w["score"]), 1e-4);
        const float got[4] = {boxes[i].x, boxes[i].y, boxes[i].w, boxes[i].h};
        for (int k = 0; k < 4; ++k) d = std::max(d, std::abs(got[k] - static_cast<double>(w["px_xywh"][k])));
        std::printf("detection %zu: %s %.3f at (%.1f, %.1f) %.1f x %.1f px\n", i, HandDetector::class_name(boxes[i].label),
                    boxes[i].score, boxes[i].x, boxes[i].y, boxes[i].w, boxes[i].h);
    }
    std::printf("detections vs the graph + tf.image.nonMaxSuppression: max |diff| %.3g px\n", d);
    EXPECT_LT(d, 1e-3 * 331);
    // the same photo as BGR, BGRA, 16-bit and float frames gives the same boxes
    cv::Mat bgr, bgra, u16, f32;
    cv::cvtColor(grey, bgr, cv::COLOR_GRAY2BGR);
    cv::cvtColor(grey, bgra, cv::COLOR_GRAY2BGRA);
    bgr.convertTo(u16, CV_16U, 257.0);
    bgr.convertTo(f32, CV_32F, 1.0 / 255.0);
    for (const cv::Mat* m : {&bgr, &bgra, &u16, &f32}) {
        const std::vector<HandBox> b = net->run(*m, min_score, iou, 10);
        ASSERT_EQ(b.size(), boxes.size()) << m->type();
        for (std::size_t i = 0; i < b.size(); ++i) EXPECT_NEAR(b[i].x, boxes[i].x, 1e-3) << m->type();
    }
}

TEST_F(HandDetectorTest, BlankGreyAndOddFrames) {
    for (const int v : {0, 128, 255}) {
        const cv::Mat blank(240, 320, CV_8UC3, cv::Scalar::all(v));
        const std::vector<HandBox> b = net->run(blank);
        std::printf("blank %d: %zu boxes (best score of any %.3f)\n", v, b.size(), net->run(blank, 0.0f, 0.3f, 1)[0].score);
        EXPECT_TRUE(b.empty()) << v;
    }
    for (const int type : {CV_8UC1, CV_8UC4, CV_16UC3, CV_32FC3}) {
        for (const cv::Size sz : {cv::Size(501, 37), cv::Size(1, 1), cv::Size(3, 1000)}) {
            cv::Mat m(sz, type, cv::Scalar::all(0));
            cv::randu(m, 0, type == CV_32FC3 ? 1 : 255);
            std::vector<HandBox> b;
            EXPECT_NO_THROW(b = net->run(m, 0.0f, 0.3f, 3)) << type << " " << sz;
            for (const HandBox& h : b) EXPECT_TRUE(std::isfinite(h.x) && std::isfinite(h.w) && h.w > 0) << type;
        }
    }
    EXPECT_THROW(net->run(cv::Mat()), FeatureError);
    EXPECT_THROW(net->run(cv::Mat(10, 10, CV_8UC2)), FeatureError);
    EXPECT_TRUE(net->run(random_bgr(), 0.99f).empty());
    EXPECT_EQ(net->run(random_bgr(), 0.0f, 1.0f, 5).size(), 5u);  // no suppression: the 5 best anchors
}

TEST(HandDetectorLoad, MissingOrCorruptModelIsOneLineError) {
    for (const fs::path& p : {fs::path(kGolden + "nope.onnx"), fs::path(kGolden + "hand_detector_golden.json")}) {
        try {
            HandDetector::load(p);
            ADD_FAILURE() << p << " loaded";
        } catch (const FeatureError& e) {
            std::printf("%s\n", e.what());
            EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
            EXPECT_NE(std::string(e.what()).find("hand detector"), std::string::npos);
        }
    }
    // the hand landmark network is not a hand detector
    const fs::path other = colive::test::pose_model("handlandmark-lite");
    if (fs::exists(other)) {
        EXPECT_THROW(HandDetector::load(other), FeatureError);
    }
}
