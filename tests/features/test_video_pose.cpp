// SPDX-License-Identifier: MIT
// VideoFeatures with the pose-kp-v1 (and -v2/-v3) descriptors: MoveNet keypoints (the converted network, made by
// scripts/setup-pose-models.sh; tests that need it skip when it is missing) -> PoseTokenizer.
// The person is the rendered one of resources/demo/demo-pose.mp4 (models/training/gen_pose_demo.py).
#include "colive/features.h"
#include "colive/frame_grid.h"
#include "colive/hand.h"
#include "colive/pose_tokens.h"
#include "pose_video.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

using namespace colive;
namespace fs = std::filesystem;

namespace {

fs::path network() { return fs::path(COLIVE_SOURCE_MODELS_DIR) / "pose" / "movenet-lightning.onnx"; }

#define REQUIRE_NETWORK()                                                                                   \
    do {                                                                                                    \
        if (!fs::exists(network())) GTEST_SKIP() << network() << " missing (run scripts/setup-pose-models.sh)"; \
    } while (0)

VideoFeatureParams pose_params(const fs::path& net = network()) {
    VideoFeatureParams p;
    p.descriptor = "pose-kp-v1";
    p.pose_model = net.string();
    return p;
}

// The first `n` frames of the rendered demo person (640x480, 30 fps).
std::vector<cv::Mat> demo_frames(int n) {
    cv::VideoCapture cap((fs::path(COLIVE_SOURCE_RESOURCES_DIR) / "demo" / "demo-pose.mp4").string());
    std::vector<cv::Mat> out;
    cv::Mat f;
    while (static_cast<int>(out.size()) < n && cap.read(f)) out.push_back(f.clone());
    return out;
}

void expect_one_line_error(const VideoFeatureParams& p, const std::string& must_contain) {
    try {
        VideoFeatures f(p);
        FAIL() << "expected a FeatureError";
    } catch (const FeatureError& e) {
        const std::string msg = e.what();
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
        EXPECT_NE(msg.find(must_contain), std::string::npos) << msg;
        EXPECT_LT(msg.size(), 300u) << msg;
    }
}

struct Collected {
    std::vector<Token> tokens;
    void operator()(const Token& t) { tokens.push_back(t); }
};

void expect_tokens_well_formed(const std::vector<Token>& toks, double rate_hz) {
    for (std::size_t i = 0; i < toks.size(); ++i) {
        ASSERT_EQ(toks[i].values.size(), static_cast<std::size_t>(PoseTokenizer::kDim));
        for (float v : toks[i].values) ASSERT_TRUE(std::isfinite(v)) << "token " << i;
        if (i > 0) {
            EXPECT_NEAR(toks[i].time_s - toks[i - 1].time_s, 1.0 / rate_hz, 1e-6) << "token " << i;
        }
    }
}

}  // namespace

TEST(PoseVideoFeatures, MissingNetworkIsOneLineError) {
    expect_one_line_error(pose_params("/nonexistent/dir/movenet-lightning.onnx"), "movenet-lightning.onnx");
    expect_one_line_error(pose_params(""), "movenet-lightning.onnx");
}

TEST(PoseVideoFeatures, CorruptNetworkIsOneLineError) {
    const fs::path dir = fs::temp_directory_path() / ("colive-pose-corrupt-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
    fs::create_directories(dir);
    const fs::path garbage = dir / "garbage.onnx";
    {
        std::ofstream f(garbage, std::ios::binary);
        for (int i = 0; i < 5000; ++i) f.put(static_cast<char>((i * 7919) & 0xff));
    }
    expect_one_line_error(pose_params(garbage), "garbage.onnx");
    const fs::path empty = dir / "empty.onnx";
    std::ofstream(empty).close();
    expect_one_line_error(pose_params(empty), "empty.onnx");
    if (fs::exists(network())) {   // the real file cut in half
        const fs::path cut = dir / "truncated.onnx";
        std::ifstream in(network(), std::ios::binary);
        std::vector<char> bytes((std::istreambuf_iterator<char>(in)), {});
        std::ofstream(cut, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
        expect_one_line_error(pose_params(cut), "truncated.onnx");
    }
    fs::remove_all(dir);
}

TEST(PoseVideoFeatures, DescriptorAndRateChecks) {
    REQUIRE_NETWORK();
    VideoFeatures f(pose_params());
    EXPECT_EQ(f.dim(), PoseTokenizer::kDim);
    EXPECT_EQ(f.feature_id(), "pose-kp-v1");
    EXPECT_TRUE(f.uses_pose());
    EXPECT_FALSE(f.latest_pose().has_value());
    EXPECT_FALSE(VideoFeatures().uses_pose());
    EXPECT_FALSE(VideoFeatures().latest_pose().has_value());
    auto bad = pose_params();
    bad.pose_rate_hz = -3;
    EXPECT_THROW(VideoFeatures{bad}, FeatureError);
}

TEST(PoseVideoFeatures, FindsTheRenderedPersonAndAnalysesTwentyFramesPerSecond) {
    REQUIRE_NETWORK();
    const auto frames = demo_frames(90);   // 3 s at 30 fps
    ASSERT_EQ(frames.size(), 90u);
    VideoFeatures f(pose_params());
    Collected c;
    std::set<double> analysed;
    int present = 0;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        const double t = static_cast<double>(i) / 30.0;
        f.push(frames[i], t, std::ref(c));
        double pt = -1;
        const auto pose = f.latest_pose(&pt);
        ASSERT_TRUE(pose.has_value());
        if (pt == t) {
            analysed.insert(t);
            present += pose->present ? 1 : 0;
            EXPECT_EQ(pose->width, 640);
            EXPECT_EQ(pose->height, 480);
        }
    }
    // 20 Hz on a 30 fps stream: two of every three frames, the first one included.
    EXPECT_NEAR(static_cast<double>(analysed.size()), 60.0, 1.0);
    EXPECT_EQ(present, static_cast<int>(analysed.size()));
    EXPECT_NEAR(static_cast<double>(c.tokens.size()), 30.0, 1.0);
    expect_tokens_well_formed(c.tokens, 10.0);
    // Sitting at the desk in the middle of the frame: shoulders level, the nose above them.
    const auto pose = *f.latest_pose();
    const auto& k = pose.kp;
    EXPECT_GT(k[5].x, k[6].x) << "the person's left shoulder is on the image right of a raw frame";
    EXPECT_LT(k[0].y, std::min(k[5].y, k[6].y));
    EXPECT_NEAR((k[5].x + k[6].x) / 2, 320.0, 64.0);
}

TEST(PoseVideoFeatures, NobodyInView) {
    REQUIRE_NETWORK();
    VideoFeatures f(pose_params());
    Collected c;
    cv::Mat wall(480, 640, CV_8UC3, cv::Scalar(200, 210, 215));
    cv::rectangle(wall, cv::Rect(0, 400, 640, 80), cv::Scalar(70, 110, 150), cv::FILLED);   // an empty desk
    for (int i = 0; i < 60; ++i) f.push(wall, i / 30.0, std::ref(c));
    const auto pose = f.latest_pose();
    ASSERT_TRUE(pose.has_value());
    EXPECT_FALSE(pose->present) << "person score " << pose->score;
    EXPECT_NEAR(static_cast<double>(c.tokens.size()), 20.0, 1.0);
    expect_tokens_well_formed(c.tokens, 10.0);
    // The tokens differ from those of a person in view (the model can tell the two apart).
    VideoFeatures g(pose_params());
    Collected d;
    const auto frames = demo_frames(60);
    for (std::size_t i = 0; i < frames.size(); ++i) g.push(frames[i], static_cast<double>(i) / 30.0, std::ref(d));
    ASSERT_FALSE(d.tokens.empty());
    double diff = 0;
    for (int j = 0; j < PoseTokenizer::kDim; ++j)
        diff += std::fabs(c.tokens.back().values[static_cast<std::size_t>(j)] - d.tokens.back().values[static_cast<std::size_t>(j)]);
    EXPECT_GT(diff, 1.0);
}

TEST(PoseVideoFeatures, OddSizesGreyAndDeepFrames) {
    REQUIRE_NETWORK();
    const auto person = demo_frames(1).front();
    cv::Mat grey, grey16, bgra, tall, tiny, flt;
    cv::cvtColor(person, grey, cv::COLOR_BGR2GRAY);
    grey.convertTo(grey16, CV_16U, 257.0);
    cv::cvtColor(person, bgra, cv::COLOR_BGR2BGRA);
    cv::resize(person, tall, cv::Size(37, 513));
    cv::resize(person, tiny, cv::Size(3, 2));
    person.convertTo(flt, CV_32FC3, 1.0 / 255.0);
    struct Case { const char* name; cv::Mat m; bool person; };
    const Case cases[] = {{"grey", grey, true}, {"grey16", grey16, true}, {"bgra", bgra, true}, {"float", flt, true},
                          {"37x513", tall, false}, {"3x2", tiny, false}, {"1x1", cv::Mat(1, 1, CV_8UC3, cv::Scalar::all(90)), false}};
    for (const auto& cs : cases) {
        SCOPED_TRACE(cs.name);
        VideoFeatures f(pose_params());
        Collected c;
        for (int i = 0; i < 15; ++i) ASSERT_NO_THROW(f.push(cs.m, i / 30.0, std::ref(c)));
        const auto pose = f.latest_pose();
        ASSERT_TRUE(pose.has_value());
        EXPECT_EQ(pose->width, cs.m.cols);
        EXPECT_EQ(pose->height, cs.m.rows);
        for (const auto& k : pose->kp) {
            EXPECT_TRUE(std::isfinite(k.x) && std::isfinite(k.y) && std::isfinite(k.score));
            EXPECT_GE(k.score, 0.0f);
            EXPECT_LE(k.score, 1.0f);
        }
        if (cs.person) {
            EXPECT_TRUE(pose->present) << "person score " << pose->score;
        }
        expect_tokens_well_formed(c.tokens, 10.0);
        EXPECT_GE(c.tokens.size(), 4u);
    }
    VideoFeatures f(pose_params());
    Collected c;
    EXPECT_THROW(f.push(cv::Mat(), 0.0, std::ref(c)), FeatureError);
    EXPECT_THROW(f.push(cv::Mat(4, 4, CV_8UC2, cv::Scalar::all(0)), 0.0, std::ref(c)), FeatureError);
}

TEST(PoseVideoFeatures, FrameSizeChangeMidStream) {
    REQUIRE_NETWORK();
    const auto frames = demo_frames(90);
    ASSERT_EQ(frames.size(), 90u);
    VideoFeatures f(pose_params());
    Collected c;
    std::vector<PoseFrame> big, small;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        cv::Mat m = frames[i];
        if (i >= 45) cv::resize(frames[i], m, cv::Size(320, 240), 0, 0, cv::INTER_AREA);   // the camera switches mode
        ASSERT_NO_THROW(f.push(m, static_cast<double>(i) / 30.0, std::ref(c)));
        double pt = -1;
        const auto pose = f.latest_pose(&pt);
        if (pose && pt == static_cast<double>(i) / 30.0) (i < 45 ? big : small).push_back(*pose);
    }
    ASSERT_FALSE(big.empty());
    ASSERT_FALSE(small.empty());
    EXPECT_EQ(small.back().width, 320);
    EXPECT_EQ(small.back().height, 240);
    EXPECT_TRUE(small.back().present);
    // The same person at half the size: shoulders at half the pixel coordinates (within 3 % of the width).
    const auto& a = big.back().kp;
    const auto& b = small.front().kp;
    for (int k : {5, 6}) {
        EXPECT_NEAR(b[static_cast<std::size_t>(k)].x, a[static_cast<std::size_t>(k)].x / 2, 0.03 * 320) << "keypoint " << k;
        EXPECT_NEAR(b[static_cast<std::size_t>(k)].y, a[static_cast<std::size_t>(k)].y / 2, 0.03 * 320) << "keypoint " << k;
    }
    // Tokens go on after the change (the tokenizer restarts: token times keep increasing).
    ASSERT_GE(c.tokens.size(), 25u);
    for (std::size_t i = 1; i < c.tokens.size(); ++i) EXPECT_GT(c.tokens[i].time_s, c.tokens[i - 1].time_s);
    for (const auto& t : c.tokens)
        for (float v : t.values) ASSERT_TRUE(std::isfinite(v));
    EXPECT_GT(c.tokens.back().time_s, 2.5);
}

TEST(PoseVideoFeatures, ResetForgetsThePose) {
    REQUIRE_NETWORK();
    const auto frames = demo_frames(10);
    VideoFeatures f(pose_params());
    Collected c;
    for (std::size_t i = 0; i < frames.size(); ++i) f.push(frames[i], static_cast<double>(i) / 30.0, std::ref(c));
    ASSERT_TRUE(f.latest_pose().has_value());
    f.reset();
    EXPECT_FALSE(f.latest_pose().has_value());
    f.push(frames[0], 0.0, std::ref(c));   // time going back to 0 after a reset is a fresh start
    EXPECT_TRUE(f.latest_pose().has_value());
}

// pose-kp-v3: the hand landmark network runs on the first analysed frame of each token slot, and the
// tokens are pose-kp-v2's plus the hand block (the v2 part unchanged). The v1/v2 paths never load it.
TEST(PoseVideoFeatures, V3AddsTheHandBlockAndOnlyV3LoadsTheHandNetwork) {
    REQUIRE_NETWORK();
    const fs::path hand = network().parent_path() / "handlandmark-lite.onnx";
    if (!fs::exists(hand)) GTEST_SKIP() << hand << " missing (run scripts/setup-pose-models.sh)";
    const auto frames = demo_frames(60);
    auto p2 = pose_params();
    p2.descriptor = "pose-kp-v2";
    p2.hand_model = "/nonexistent/hand.onnx";   // never opened for v2
    auto p3 = p2;
    p3.descriptor = "pose-kp-v3";
    expect_one_line_error(p3, "hand.onnx");
    p3.hand_model.clear();                       // the default: next to the pose network
    VideoFeatures f2(p2), f3(p3);
    EXPECT_EQ(f3.dim(), PoseTokenizer::kDimV3);
    EXPECT_EQ(f3.feature_id(), "pose-kp-v3");
    Collected c2, c3;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        f2.push(frames[i], static_cast<double>(i) / 30.0, std::ref(c2));
        f3.push(frames[i], static_cast<double>(i) / 30.0, std::ref(c3));
    }
    ASSERT_EQ(c2.tokens.size(), c3.tokens.size());
    ASSERT_GT(c3.tokens.size(), 15u);
    double looked = 0;
    for (std::size_t k = 0; k < c3.tokens.size(); ++k) {
        for (std::size_t i = 0; i < 190; ++i) ASSERT_EQ(c2.tokens[k].values[i], c3.tokens[k].values[i]) << k << " " << i;
        for (std::size_t i = 190; i < 217; ++i) ASSERT_TRUE(std::isfinite(c3.tokens[k].values[i]));
        looked = std::max(looked, static_cast<double>(c3.tokens[k].values[190 + 3]) + c3.tokens[k].values[199 + 3]);
    }
    EXPECT_GT(looked, 0.0) << "the rendered person's arms are in view: the hand network must have run";
}

// pose-kp-v4: the same tokens as v3 but the hands come from HandFinder (with the hand detector, on its
// own thread) and MoveNet sees every frame by default; the v2 part equals v2's at that pose rate, a
// missing detector is one clear line, and v3 never loads the detector.
TEST(PoseVideoFeatures, V4FindsHandsWithHandFinder) {
    REQUIRE_NETWORK();
    const fs::path hand = network().parent_path() / "handlandmark-lite.onnx";
    const fs::path det = network().parent_path() / "handtrack.onnx";
    if (!fs::exists(hand) || !fs::exists(det)) GTEST_SKIP() << "hand networks missing (run scripts/setup-pose-models.sh)";
    const auto frames = demo_frames(40);
    auto p2 = pose_params();
    p2.descriptor = "pose-kp-v2";
    auto p3 = p2, p4 = p2;
    p2.pose_rate_hz = colive::PoseVideo::kEveryFrameHz;   // v4's automatic rate
    p3.descriptor = "pose-kp-v3";
    p3.hand_detector_model = "/nonexistent/detector.onnx";   // never opened for v3
    p4.descriptor = "pose-kp-v4";
    p4.hand_detector_model = "/nonexistent/detector.onnx";
    expect_one_line_error(p4, "detector.onnx");
    p4.hand_detector_model.clear();
    VideoFeatures f2(p2), f3(p3), f4(p4);
    EXPECT_EQ(f4.dim(), PoseTokenizer::kDimV3);
    EXPECT_EQ(f4.feature_id(), "pose-kp-v4");
    Collected c2, c4;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        f2.push(frames[i], static_cast<double>(i) / 30.0, std::ref(c2));
        f4.push(frames[i], static_cast<double>(i) / 30.0, std::ref(c4));
    }
    ASSERT_EQ(c2.tokens.size(), c4.tokens.size());
    ASSERT_GT(c4.tokens.size(), 10u);
    for (std::size_t k = 0; k < c4.tokens.size(); ++k) {
        for (std::size_t i = 0; i < 190; ++i) ASSERT_EQ(c2.tokens[k].values[i], c4.tokens[k].values[i]) << k << " " << i;
        for (std::size_t i = 190; i < 217; ++i) ASSERT_TRUE(std::isfinite(c4.tokens[k].values[i]));
    }
}

// The hands VideoFeatures hands on (the app's preview draws them) are the ones the hand landmark network
// found on their frame, for the arm they are given as: for pose-kp-v3 the network on the wrist crop of
// that frame's body keypoints (an independent HandLandmarks, same frame, same keypoints); for pose-kp-v4
// (HandFinder: wrist crop, tracking or the detector on its own thread, so which crop depends on timing)
// the network on the crop each hand reports. Hands come once per token slot, on an analysed frame;
// v1/v2 have none.
TEST(PoseVideoFeatures, LatestHandsAreWhatTheHandNetworkFoundOnTheirFrame) {
    REQUIRE_NETWORK();
    const fs::path hand = network().parent_path() / "handlandmark-lite.onnx";
    const fs::path det = network().parent_path() / "handtrack.onnx";
    if (!fs::exists(hand) || !fs::exists(det)) GTEST_SKIP() << "hand networks missing (run scripts/setup-pose-models.sh)";
    const auto frames = demo_frames(150);
    ASSERT_EQ(frames.size(), 150u);
    HandLandmarks ref_net = HandLandmarks::load(hand, 1);
    for (const char* layout : {"pose-kp-v1", "pose-kp-v2"}) {
        auto p = pose_params();
        p.descriptor = layout;
        VideoFeatures f(p);
        EXPECT_FALSE(f.uses_hands()) << layout;
        Collected c;
        for (std::size_t i = 0; i < 10; ++i) f.push(frames[i], static_cast<double>(i) / 30.0, std::ref(c));
        EXPECT_TRUE(f.latest_pose().has_value()) << layout;
        EXPECT_FALSE(f.latest_hands().has_value()) << layout;
    }
    for (const char* layout : {"pose-kp-v3", "pose-kp-v4"}) {
        SCOPED_TRACE(layout);
        const bool v4 = std::string(layout) == "pose-kp-v4";
        auto p = pose_params();
        p.descriptor = layout;
        VideoFeatures f(p);
        EXPECT_TRUE(f.uses_hands());
        EXPECT_FALSE(f.latest_hands().has_value());
        Collected c;
        int slots = 0, found = 0;
        std::set<HandCropSource> sources;
        double worst = 0;
        for (std::size_t i = 0; i < frames.size(); ++i) {
            const double t = static_cast<double>(i) / 30.0;
            f.push(frames[i], t, std::ref(c));
            double ht = -1, pt = -1;
            const auto hands = f.latest_hands(&ht);
            if (!hands || ht != t) continue;   // not a hand frame: the previous slot's hands stay
            const auto body = f.latest_pose(&pt);
            ASSERT_TRUE(body.has_value());
            ASSERT_EQ(pt, t) << "hands are found on an analysed frame";
            ++slots;
            for (std::size_t a = 0; a < 2; ++a) {
                const HandFrame& h = (*hands)[a];
                EXPECT_EQ(h.wrist, 9 + static_cast<int>(a));
                if (h.present) {
                    ++found;
                    sources.insert(h.source);
                    EXPECT_NE(h.source, HandCropSource::none);
                }
                HandFrame ref;
                if (!v4) {
                    ref = ref_net.run(frames[i], *body, 9 + static_cast<int>(a));
                    EXPECT_EQ(h.present, ref.present) << "frame " << i << " arm " << a;
                    EXPECT_EQ(h.source, ref.source) << "frame " << i << " arm " << a;
                } else if (h.source != HandCropSource::none) {
                    ref = ref_net.run_crop(frames[i], h.crop_cx, h.crop_cy, h.crop_side, h.crop_angle);
                    // present can only be taken back (two arms on one hand), never given
                    if (h.present) {
                        EXPECT_TRUE(ref.present) << "frame " << i << " arm " << a;
                    }
                } else {
                    EXPECT_FALSE(h.present);
                    continue;
                }
                EXPECT_NEAR(h.presence, ref.presence, 1e-5) << "frame " << i << " arm " << a;
                EXPECT_EQ(h.crop_side, ref.crop_side);
                for (std::size_t k = 0; k < static_cast<std::size_t>(kHandLandmarks); ++k)
                    worst = std::max({worst, std::abs(static_cast<double>(h.lm[k].x - ref.lm[k].x)),
                                      std::abs(static_cast<double>(h.lm[k].y - ref.lm[k].y))});
            }
        }
        std::printf("%s: %d hand slots, %d hands found (sources:", layout, slots, found);
        for (auto s : sources) std::printf(" %d", static_cast<int>(s));
        std::printf("), landmarks vs the independent run: max |diff| %.3g px\n", worst);
        EXPECT_GE(slots, 45);            // one per token slot: 5 s at 10 tokens/s
        EXPECT_LE(slots, 50);
        EXPECT_LT(worst, 1e-3);
        EXPECT_GT(found, 0) << "the rendered person's hands are in view";
        f.reset();
        EXPECT_FALSE(f.latest_hands().has_value());
    }
}

// SlotGate (the hand network's schedule): exactly one due frame per token slot at any frame rate.
TEST(PoseVideoFeatures, SlotGateRunsOncePerTokenSlot) {
    for (const double fps : {12.0, 15.0, 25.0, 30.0, 60.0}) {
        SlotGate g(0.1);
        std::vector<long> per_slot(40, 0);
        for (int i = 0; i < static_cast<int>(3.9 * fps); ++i) {
            const double t = 1.5 + i / fps;   // any start time
            if (!g.due(t)) continue;
            const double r = (t - 1.5) / 0.1;
            const long k = r - 1e-6 <= 1.0 ? 1L : static_cast<long>(std::ceil(r - 1e-6));
            ++per_slot[static_cast<std::size_t>(k)];
        }
        for (std::size_t k = 1; k < 39; ++k) EXPECT_EQ(per_slot[k], 1) << fps << " fps, slot " << k;
    }
}
