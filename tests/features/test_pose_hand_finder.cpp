// SPDX-License-Identifier: MIT
// HandFinder: the order of its crop sources (wrist, then tracking, then detector boxes), the rule that
// matches boxes to arms, the detector's rate limit and the resets. The hand is a real one: a 96x96
// square of basketball1 around a player's hand (tests/golden/pose/basketball1_hand96.png, made by
// models/pose/golden/make_golden.sh), on which the hand landmark network is sure (presence ~0.99)
// once the crop is turned a quarter. Skips without the converted models unless
// COLIVE_REQUIRE_POSE_MODEL=1 (as test_pose_net.cpp).
#include "colive/features.h"
#include "colive/hand_finder.h"
#include "pose_test_paths.h"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <cstdio>

using colive::HandBox;
using colive::HandCropSource;
using colive::HandFinder;
using colive::HandFrame;
using colive::PoseFrame;
namespace fs = std::filesystem;

namespace {
const fs::path kLandmarks = colive::test::pose_model("handlandmark-lite");
const fs::path kDetector = colive::test::pose_model("handtrack");
constexpr float kPi = 3.14159265f;

// A body whose left forearm (elbow 7 -> wrist 9) points to the image right, placed so that the wrist
// crop (HandLandmarks::crop) is the square of side `side` centred on (cx, cy), turned a quarter.
PoseFrame body_with_arm(float cx, float cy, float side, float score) {
    PoseFrame b;
    b.present = true;
    b.score = 0.5f;
    b.width = 640;
    b.height = 480;
    const float len = side / colive::HandLandmarks::kSide;
    const float wx = cx - colive::HandLandmarks::kCentre * len;
    b.kp[5] = {cx - 2.0f * len, cy - 1.5f * len, 0.8f};  // shoulders
    b.kp[6] = {cx - 4.0f * len, cy - 1.5f * len, 0.8f};
    b.kp[7] = {wx - len, cy, score};  // left elbow
    b.kp[9] = {wx, cy, score};        // left wrist
    b.kp[8] = {cx - 4.0f * len, cy + 2.0f * len, 0.8f};  // right arm hanging, far from the hand
    b.kp[10] = {cx - 4.0f * len, cy + 3.0f * len, 0.8f};
    return b;
}

class HandFinderTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!colive::test::have_pose_model(kLandmarks) || !colive::test::have_pose_model(kDetector))
            GTEST_SKIP() << "converted hand models missing (scripts/setup-pose-models.sh makes them)";
        const cv::Mat hand = cv::imread(colive::test::kPoseGolden + "basketball1_hand96.png", cv::IMREAD_COLOR);
        ASSERT_EQ(hand.cols, 96);
        frame = cv::Mat(480, 640, CV_8UC3, cv::Scalar::all(40));
        hand.copyTo(frame(cv::Rect(352, 152, 96, 96)));  // the hand square's centre at (400, 200)
    }
    cv::Mat frame;
    static constexpr float kCx = 400.0f, kCy = 200.0f, kSide = 48.0f;
};
}  // namespace

TEST_F(HandFinderTest, WristThenTrackingThenNothing) {
    HandFinder finder(colive::HandLandmarks::load(kLandmarks));
    EXPECT_FALSE(finder.has_detector());
    // 1. the arm is seen: the wrist crop finds the hand
    const auto a = finder.run(frame, body_with_arm(kCx, kCy, kSide, 0.8f), 0.0);
    std::printf("wrist crop: presence %.3f; other arm %.3f\n", a[0].presence, a[1].presence);
    ASSERT_TRUE(a[0].present);
    EXPECT_EQ(a[0].source, HandCropSource::wrist);
    EXPECT_EQ(a[0].wrist, 9);
    EXPECT_NEAR(a[0].crop_angle, kPi / 2, 1e-5);
    EXPECT_FALSE(a[1].present);
    // 2. MoveNet loses the wrist (score 0.1, as near the camera): the crop around the last landmarks
    //    finds it again, turned the same way (wrist -> middle-finger base points up in the crop)
    const auto b = finder.run(frame, body_with_arm(kCx, kCy, kSide, 0.1f), 0.1);
    std::printf("tracked crop: presence %.3f, centre (%.1f, %.1f), side %.1f, angle %.2f rad\n", b[0].presence, b[0].crop_cx,
                b[0].crop_cy, b[0].crop_side, b[0].crop_angle);
    EXPECT_TRUE(b[0].present);
    EXPECT_EQ(b[0].source, HandCropSource::track);
    EXPECT_LT(std::hypot(b[0].crop_cx - kCx, b[0].crop_cy - kCy), 0.25f * kSide);
    EXPECT_GT(std::sin(b[0].crop_angle), 0.7f);  // still about a quarter turn
    // 3. the hand leaves (blank frame): tracking finds nothing and stops
    const cv::Mat blank(480, 640, CV_8UC3, cv::Scalar::all(40));
    const auto c = finder.run(blank, body_with_arm(kCx, kCy, kSide, 0.1f), 0.2);
    EXPECT_FALSE(c[0].present);
    EXPECT_EQ(c[0].source, HandCropSource::track);
    const auto d = finder.run(frame, body_with_arm(kCx, kCy, kSide, 0.1f), 0.3);
    EXPECT_FALSE(d[0].present);
    EXPECT_EQ(d[0].source, HandCropSource::none);  // nothing tracked any more, wrist not seen
    // a frame-size change and nobody in view forget the tracked hand
    ASSERT_TRUE(finder.run(frame, body_with_arm(kCx, kCy, kSide, 0.8f), 0.4)[0].present);
    cv::Mat wider(480, 700, CV_8UC3, cv::Scalar::all(40));
    frame.copyTo(wider(cv::Rect(0, 0, 640, 480)));
    EXPECT_EQ(finder.run(wider, body_with_arm(kCx, kCy, kSide, 0.1f), 0.5)[0].source, HandCropSource::none);
    ASSERT_TRUE(finder.run(frame, body_with_arm(kCx, kCy, kSide, 0.8f), 0.6)[0].present);
    EXPECT_FALSE(finder.run(frame, PoseFrame{}, 0.7)[0].present);
    EXPECT_EQ(finder.run(frame, body_with_arm(kCx, kCy, kSide, 0.1f), 0.8)[0].source, HandCropSource::none);
}

TEST_F(HandFinderTest, TwoArmsOnOneHandCountOnce) {
    HandFinder finder(colive::HandLandmarks::load(kLandmarks));
    PoseFrame b = body_with_arm(kCx, kCy, kSide, 0.8f);
    b.kp[8] = b.kp[7];  // the right arm placed exactly on the left one
    b.kp[10] = b.kp[9];
    const auto h = finder.run(frame, b, 0.0);
    EXPECT_TRUE(h[0].present);
    EXPECT_FALSE(h[1].present);
    EXPECT_GT(h[1].presence, colive::HandLandmarks::kPresentScore);  // it did see the hand
}

TEST_F(HandFinderTest, DetectorRunsOnlyWhenNeededAndAtMostOncePerPeriod) {
    colive::HandFinderParams p;
    p.detector_period_s = 0.5;
    p.min_box_score = 0.0f;  // take the best boxes whatever they are: this tests the plumbing
    p.track = false;
    HandFinder finder(colive::HandLandmarks::load(kLandmarks), colive::HandDetector::load(kDetector), p);
    EXPECT_TRUE(finder.has_detector());
    // both arms found or not needed (arm seen, hand found; the other arm's hand found nowhere): runs
    finder.run(frame, body_with_arm(kCx, kCy, kSide, 0.8f), 0.0);
    EXPECT_EQ(finder.detector_runs(), 1);  // the right arm has no hand: the detector ran
    EXPECT_EQ(finder.last_boxes_time(), 0.0);
    EXPECT_FALSE(finder.last_boxes().empty());
    finder.run(frame, body_with_arm(kCx, kCy, kSide, 0.1f), 0.2);
    EXPECT_EQ(finder.detector_runs(), 1);  // within the period: not again
    const auto r = finder.run(frame, body_with_arm(kCx, kCy, kSide, 0.1f), 0.5);
    EXPECT_EQ(finder.detector_runs(), 2);
    for (const HandFrame& h : r)
        if (h.source == HandCropSource::detector) {
            EXPECT_GT(h.crop_side, 0.0f);
            EXPECT_TRUE(std::isfinite(h.crop_cx) && std::isfinite(h.crop_cy));
        }
    // nobody in view: no arm to match, the detector is not run
    finder.run(frame, PoseFrame{}, 2.0);
    EXPECT_EQ(finder.detector_runs(), 2);
    finder.reset();
    EXPECT_TRUE(finder.last_boxes().empty());
}

TEST_F(HandFinderTest, AsyncDetectorBoxesServeTheNextCall) {
    colive::HandFinderParams p;
    p.min_box_score = 0.0f;  // the best boxes whatever they are: this tests the plumbing
    p.track = false;
    p.async_detector = true;
    HandFinder finder(colive::HandLandmarks::load(kLandmarks), colive::HandDetector::load(kDetector), p);
    EXPECT_TRUE(finder.has_detector());
    const PoseFrame body = body_with_arm(kCx, kCy, kSide, 0.1f);  // no wrist crop: both arms need a box
    auto a = finder.run(frame, body, 0.0);  // hands the frame to the worker, does not wait for it
    EXPECT_EQ(finder.detector_runs(), 1);
    for (const HandFrame& h : a) EXPECT_NE(h.source, HandCropSource::detector);
    finder.wait_for_detector();
    a = finder.run(frame, body, 0.1);  // the boxes of t = 0 are matched now
    EXPECT_EQ(finder.last_boxes_time(), 0.0);
    EXPECT_EQ(finder.detector_runs(), 1);  // within the period: no new run
    int by_box = 0;
    for (const HandFrame& h : a) by_box += h.source == HandCropSource::detector ? 1 : 0;
    EXPECT_GE(by_box, 1);
    finder.wait_for_detector();
    a = finder.run(frame, body, 0.2);  // each result serves one call only
    for (const HandFrame& h : a) EXPECT_NE(h.source, HandCropSource::detector);
    // a result that arrives after a reset (or a frame-size change) is dropped
    finder.run(frame, body, 0.7);
    EXPECT_EQ(finder.detector_runs(), 2);
    finder.reset();
    finder.wait_for_detector();
    a = finder.run(frame, body, 0.0);
    EXPECT_EQ(finder.detector_runs(), 3);
    for (const HandFrame& h : a) EXPECT_NE(h.source, HandCropSource::detector);
    finder.wait_for_detector();  // and the destructor joins the worker
}

TEST(HandFinderMatch, BoxesGoToTheNearestArmOnly) {
    PoseFrame b;
    b.present = true;
    b.kp[5] = {300, 200, 0.9f};  // shoulders 100 px apart
    b.kp[6] = {200, 200, 0.9f};
    b.kp[9] = {400, 300, 0.2f};  // left wrist
    b.kp[10] = {100, 300, 0.1f};  // right wrist
    auto box = [](float cx, float cy, float side) {
        HandBox h;
        h.x = cx - side / 2;
        h.y = cy - side / 2;
        h.w = h.h = side;
        h.score = 0.5f;
        return h;
    };
    // a face-sized box at the head, one near each wrist
    const std::vector<HandBox> boxes{box(250, 120, 60), box(110, 290, 40), box(420, 310, 40)};
    auto m = HandFinder::match_boxes(boxes, b, {true, true});
    EXPECT_EQ(m[0], 2);
    EXPECT_EQ(m[1], 1);
    m = HandFinder::match_boxes(boxes, b, {false, true});
    EXPECT_EQ(m[0], -1);
    EXPECT_EQ(m[1], 1);
    // only the head box: it is more than a box side / half a shoulder width from either wrist
    m = HandFinder::match_boxes({boxes[0]}, b, {true, true});
    EXPECT_EQ(m[0], -1);
    EXPECT_EQ(m[1], -1);
    // one box between the two wrists' reach: the nearer arm takes it, the other gets none
    m = HandFinder::match_boxes({box(380, 300, 60)}, b, {true, true});
    EXPECT_EQ(m[0], 0);
    EXPECT_EQ(m[1], -1);
    // nobody in view
    EXPECT_EQ(HandFinder::match_boxes(boxes, PoseFrame{}, {true, true})[0], -1);
}
