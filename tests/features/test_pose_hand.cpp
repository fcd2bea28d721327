// SPDX-License-Identifier: MIT
// HandLandmarks (MediaPipe hand landmark lite converted to ONNX, run by OpenCV DNN) against the
// ORIGINAL tfjs graph run in node (tests/golden/pose/hand_golden.json, models/pose/golden/
// make_golden.sh): outputs on a seeded random input and on a real photo crop; the crop geometry
// from body keypoints; no arm -> no hand; one-line errors. Skips without the converted model unless
// COLIVE_REQUIRE_POSE_MODEL=1 (as test_pose_net.cpp).
#include "colive/features.h"
#include "colive/hand.h"
#include "pose_test_paths.h"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

using colive::FeatureError;
using colive::HandLandmarks;
using colive::PoseFrame;
namespace fs = std::filesystem;

namespace {
const std::string& kGolden = colive::test::kPoseGolden;
const fs::path kModel = colive::test::pose_model("handlandmark-lite");

class HandTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!colive::test::have_pose_model(kModel)) GTEST_SKIP() << kModel << " missing (scripts/setup-pose-models.sh makes it)";
        static std::optional<HandLandmarks> shared;
        if (!shared) shared.emplace(HandLandmarks::load(kModel));
        net = &*shared;
        golden.open(kGolden + "hand_golden.json", cv::FileStorage::READ | cv::FileStorage::FORMAT_JSON);
        ASSERT_TRUE(golden.isOpened());
    }
    // max |diff| of one output against the golden array
    static double diff(const float* v, std::size_t n, const cv::FileNode& g) {
        EXPECT_EQ(g.size(), n);
        double d = 0;
        for (std::size_t i = 0; i < n && i < g.size(); ++i)
            d = std::max(d, std::abs(v[i] - static_cast<double>(g[static_cast<int>(i)])));
        return d;
    }
    void expect_matches(const colive::HandOutputs& o, const cv::FileNode& g, const char* name) {
        const double lm = diff(o.landmarks.data(), o.landmarks.size(), g["landmarks"]);
        const double world = diff(o.world.data(), o.world.size(), g["world"]);
        const double pres = diff(&o.presence, 1, g["presence"]), hand = diff(&o.handedness, 1, g["handedness"]);
        std::printf("%s: landmarks max |diff| %.3g px (of 224), presence %.3g, handedness %.3g, world %.3g\n", name, lm,
                    pres, hand, world);
        // measured: landmarks 4.6e-5 px, the rest <= 5e-7
        EXPECT_LT(lm, 1e-3 * HandLandmarks::kInputSize) << name;
        EXPECT_LT(lm, 5e-4) << name;
        EXPECT_LT(pres, 1e-5) << name;
        EXPECT_LT(hand, 1e-5) << name;
        EXPECT_LT(world, 1e-5) << name;
    }
    HandLandmarks* net = nullptr;
    cv::FileStorage golden;
};

PoseFrame arm(float ex, float ey, float wx, float wy, float score = 0.8f) {
    PoseFrame b;
    b.present = true;
    b.score = score;
    b.width = 640;
    b.height = 480;
    b.kp[7] = {ex, ey, score};  // left elbow
    b.kp[9] = {wx, wy, score};  // left wrist
    return b;
}
}  // namespace

TEST_F(HandTest, OutputsMatchOriginalGraphOnRandomInput) {
    cv::Mat in(HandLandmarks::kInputSize, HandLandmarks::kInputSize, CV_32FC3);
    std::uint32_t s = 20261128u;  // make_golden.js: 32-bit LCG, value = (state >> 24) / 255, NHWC RGB
    float* p = in.ptr<float>();
    for (int i = 0; i < HandLandmarks::kInputSize * HandLandmarks::kInputSize * 3; ++i) {
        s = s * 1664525u + 1013904223u;
        p[i] = static_cast<float>(s >> 24) / 255.0f;
    }
    expect_matches(net->infer(in), golden["inputs"]["random"], "random input");
}

TEST_F(HandTest, OutputsMatchOriginalGraphOnPhotoCrop) {
    const cv::Mat bgr = cv::imread(kGolden + "basketball1_hand_input.png", cv::IMREAD_COLOR);
    ASSERT_FALSE(bgr.empty());
    cv::Mat rgb, in;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    rgb.convertTo(in, CV_32FC3, 1.0 / 255.0);
    expect_matches(net->infer(in), golden["inputs"]["basketball1_hand"], "basketball1 hand crop");
}

TEST(HandCrop, ForearmPointsUpInTheCrop) {
    float cx = 0, cy = 0, side = 0, angle = 0;
    // forearm pointing up in the frame (elbow below the wrist): no rotation
    ASSERT_TRUE(HandLandmarks::crop(arm(100, 300, 100, 200), 9, cx, cy, side, angle));
    EXPECT_NEAR(cx, 100.0f, 1e-4);
    EXPECT_NEAR(cy, 200.0f - HandLandmarks::kCentre * 100.0f, 1e-4);
    EXPECT_NEAR(side, HandLandmarks::kSide * 100.0f, 1e-4);
    EXPECT_NEAR(angle, 0.0f, 1e-6);
    // forearm pointing to the image right: the crop is turned a quarter (its "up" is the image right)
    ASSERT_TRUE(HandLandmarks::crop(arm(100, 200, 180, 200), 9, cx, cy, side, angle));
    EXPECT_NEAR(cx, 180.0f + HandLandmarks::kCentre * 80.0f, 1e-4);
    EXPECT_NEAR(cy, 200.0f, 1e-4);
    EXPECT_NEAR(std::sin(angle), 1.0f, 1e-6);
    // arm not seen: no crop
    EXPECT_FALSE(HandLandmarks::crop(arm(100, 300, 100, 200, 0.1f), 9, cx, cy, side, angle));
    EXPECT_FALSE(HandLandmarks::crop(PoseFrame{}, 10, cx, cy, side, angle));
    EXPECT_THROW(HandLandmarks::crop(arm(100, 300, 100, 200), 5, cx, cy, side, angle), FeatureError);
}

TEST_F(HandTest, RotatedCropSeesTheSameHand) {
    // The golden photo crop (a hand on the ball) pasted upright into a frame, and the same frame
    // turned a quarter with the arm turned with it: the landmarks must turn with the frame.
    const cv::Mat crop = cv::imread(kGolden + "basketball1_hand_input.png", cv::IMREAD_COLOR);
    ASSERT_FALSE(crop.empty());
    cv::Mat frame(480, 640, CV_8UC3, cv::Scalar::all(0));
    crop.copyTo(frame(cv::Rect(200, 100, 224, 224)));
    // an arm whose crop is exactly that square: centre (312, 212), side 224, forearm up
    const float len = 224.0f / HandLandmarks::kSide;
    const float wy = 212.0f - HandLandmarks::kCentre * len * -1.0f;  // wrist below the centre
    const PoseFrame up = arm(312.0f, wy + len, 312.0f, wy);
    const colive::HandFrame a = net->run(frame, up, 9);
    cv::Mat turned;
    cv::rotate(frame, turned, cv::ROTATE_90_CLOCKWISE);  // (x, y) -> (479 + 1 - y, x) in continuous coordinates
    auto rot = [](float x, float y) { return cv::Point2f(480.0f - y, x); };
    const cv::Point2f e = rot(312.0f, wy + len), w = rot(312.0f, wy);
    PoseFrame side_arm = arm(e.x, e.y, w.x, w.y);
    side_arm.width = 480;
    side_arm.height = 640;
    const colive::HandFrame b = net->run(turned, side_arm, 9);
    double worst = 0;
    for (int i = 0; i < colive::kHandLandmarks; ++i) {
        const cv::Point2f r = rot(a.lm[static_cast<std::size_t>(i)].x, a.lm[static_cast<std::size_t>(i)].y);
        worst = std::max(worst, static_cast<double>(std::hypot(r.x - b.lm[static_cast<std::size_t>(i)].x,
                                                              r.y - b.lm[static_cast<std::size_t>(i)].y)));
    }
    std::printf("upright crop: presence %.3f; turned frame: presence %.3f; landmarks differ by %.3g px after turning back\n",
                a.presence, b.presence, worst);
    EXPECT_NEAR(a.presence, b.presence, 1e-3);
    EXPECT_LT(worst, 0.05);
    // and the upright crop is the golden input itself, so its landmarks are the golden ones (shifted)
    const cv::FileNode g = golden["inputs"]["basketball1_hand"]["landmarks"];
    double d = 0;
    for (int i = 0; i < colive::kHandLandmarks; ++i)
        d = std::max({d, std::abs(a.lm[static_cast<std::size_t>(i)].x - (200.0 + static_cast<double>(g[3 * i]))),
                      std::abs(a.lm[static_cast<std::size_t>(i)].y - (100.0 + static_cast<double>(g[3 * i + 1])))});
    std::printf("upright crop vs golden landmarks (+ paste offset): max |diff| %.3g px\n", d);
    EXPECT_LT(d, 1e-3 * HandLandmarks::kInputSize);
}

TEST_F(HandTest, NoArmNoHandAndErrors) {
    const cv::Mat frame(480, 640, CV_8UC3, cv::Scalar::all(90));
    const colive::HandFrame h = net->run(frame, PoseFrame{}, 10);
    EXPECT_FALSE(h.present);
    EXPECT_EQ(h.presence, 0.0f);
    EXPECT_EQ(h.wrist, 10);
    // a grey frame with an arm placed: the network runs and finds no hand
    const colive::HandFrame g = net->run(frame, arm(300, 400, 300, 300), 9);
    std::printf("grey frame: hand presence %.3f\n", g.presence);
    EXPECT_FALSE(g.present);
    for (const int type : {CV_8UC1, CV_8UC4, CV_16UC3, CV_32FC3}) {
        cv::Mat m(37, 501, type, cv::Scalar::all(0));
        EXPECT_NO_THROW(net->run(m, arm(10, 30, 20, 10), 9)) << type;
    }
    EXPECT_THROW(net->run(cv::Mat(), arm(10, 30, 20, 10), 9), FeatureError);
    try {
        HandLandmarks::load(kGolden + "golden.json");
        ADD_FAILURE() << "a JSON file loaded as ONNX";
    } catch (const FeatureError& e) {
        std::printf("%s\n", e.what());
        EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
    }
    EXPECT_THROW(HandLandmarks::load(kGolden + "nope.onnx"), FeatureError);
    // the body network is not a hand network
    EXPECT_THROW(HandLandmarks::load(kModel.parent_path() / "movenet-lightning.onnx"), FeatureError);
}
