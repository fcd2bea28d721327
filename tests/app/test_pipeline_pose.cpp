// SPDX-License-Identifier: MIT
// The pose path through the pipeline: Auto's model choice (the pose model when it and the body
// keypoint network load, else the motion model with one status line), the keypoints and the
// "nobody in view" state in the snapshot, and regular == continual on pose-kp-v1 and -v2 tokens (the
// model names its layout; the pipeline computes that one).
// Tests that run the real network skip when scripts/setup-pose-models.sh has not made it.
#include "colive/hand.h"
#include "pipeline/pipeline.h"
#include "test_media.h"

#include <gtest/gtest.h>
#include <opencv2/videoio.hpp>

#include <cmath>
#include <cstdlib>
#include <map>
#include <thread>
#include <filesystem>
#include <string>

using namespace colive;
using colive::test::TempDir;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

fs::path network() { return fs::path(COLIVE_SOURCE_MODELS_DIR) / "pose" / "movenet-lightning.onnx"; }
fs::path demo_pose_clip() { return fs::path(COLIVE_SOURCE_RESOURCES_DIR) / "demo" / "demo-pose.mp4"; }

// A data directory ($COLIVE_DATA_DIR, searched before the source tree) whose models/ holds a tiny
// pose model as action-pose.safetensors and a tiny motion model as action.safetensors, so Auto's
// choice is visible in the model name.
struct DataDir {
    TempDir d;
    std::string old;
    bool had_old = false;
    DataDir() {
        fs::create_directories(d / "models");
        fs::copy_file(colive::test::tiny_pose_model(), d / "models" / "action-pose.safetensors");
        fs::copy_file(colive::test::tiny_video_model(), d / "models" / "action.safetensors");
        if (const char* e = std::getenv("COLIVE_DATA_DIR")) {
            old = e;
            had_old = true;
        }
        ::setenv("COLIVE_DATA_DIR", d.path.c_str(), 1);
    }
    ~DataDir() {
        if (had_old) ::setenv("COLIVE_DATA_DIR", old.c_str(), 1);
        else ::unsetenv("COLIVE_DATA_DIR");
    }
};

PipelineConfig auto_config(const fs::path& media, const fs::path& net) {
    PipelineConfig c;
    c.source = "file:" + media.string();
    c.mode = RunMode::Both;
    c.realtime = false;
    c.pose_network = net;   // model_path empty: Auto
    return c;
}

void expect_fallback(const Snapshot& s, const std::string& net_name) {
    EXPECT_EQ(s.model_name, "tiny_video");
    EXPECT_FALSE(s.pose_enabled);
    EXPECT_FALSE(s.nobody_in_view);
    EXPECT_NE(s.model_note.find(net_name), std::string::npos) << s.model_note;
    EXPECT_NE(s.model_note.find("motion model"), std::string::npos) << s.model_note;
    EXPECT_EQ(s.model_note.find('\n'), std::string::npos) << s.model_note;
}

}  // namespace

TEST(PipelinePose, AutoTriesThePoseModelOnVideoExceptTheHandsDemo) {
    EXPECT_TRUE(auto_tries_pose_model({"camera", "cam", ""}, Modality::Video));
    EXPECT_TRUE(auto_tries_pose_model({"file", "x.mp4", ""}, Modality::Video));
    EXPECT_TRUE(auto_tries_pose_model({"demo-pose", "demo-pose.mp4", ""}, Modality::Video));
    EXPECT_FALSE(auto_tries_pose_model({"demo-video", "demo-video.mp4", ""}, Modality::Video));
    EXPECT_FALSE(auto_tries_pose_model({"file", "x.wav", ""}, Modality::Audio));
}

TEST(PipelinePose, MissingNetworkFallsBackToTheMotionModelWithOneLine) {
    DataDir data;
    TempDir d;
    colive::test::write_test_video(d / "v.avi", 40, 25.0);
    Pipeline p;
    p.start(auto_config(d / "v.avi", d / "nowhere" / "movenet-lightning.onnx"));
    ASSERT_EQ(p.wait_finished(60s), PipelineState::Ended) << p.snapshot().message;
    const auto s = p.snapshot();
    expect_fallback(s, "movenet-lightning.onnx");
    EXPECT_GT(s.tokens, 10);
    // While it plays, the status line says why (the GUI's status bar shows Snapshot::message).
    auto looping = auto_config(d / "v.avi", d / "nowhere" / "movenet-lightning.onnx");
    looping.loop = true;
    p.start(looping);
    ASSERT_TRUE(p.wait_steps(5, 60s));
    const auto r = p.snapshot();
    EXPECT_EQ(r.state, PipelineState::Running);
    EXPECT_NE(r.message.find("Playing"), std::string::npos) << r.message;
    EXPECT_NE(r.message.find(r.model_note), std::string::npos) << r.message;
    p.stop();
}

TEST(PipelinePose, CorruptNetworkFallsBackToTheMotionModelWithOneLine) {
    DataDir data;
    TempDir d;
    colive::test::write_test_video(d / "v.avi", 40, 25.0);
    colive::test::write_bytes(d / "broken.onnx", std::string(4096, '\x07') + "not a network");
    Pipeline p;
    p.start(auto_config(d / "v.avi", d / "broken.onnx"));
    ASSERT_EQ(p.wait_finished(60s), PipelineState::Ended) << p.snapshot().message;
    const auto s = p.snapshot();
    expect_fallback(s, "broken.onnx");
    EXPECT_GT(s.tokens, 10);
    // An explicitly chosen pose model with that network is an error (one line), not a fallback.
    auto explicit_cfg = auto_config(d / "v.avi", d / "broken.onnx");
    explicit_cfg.model_path = colive::test::tiny_pose_model().string();
    p.start(explicit_cfg);
    ASSERT_EQ(p.wait_finished(60s), PipelineState::Error);
    const auto e = p.snapshot();
    EXPECT_NE(e.message.find("broken.onnx"), std::string::npos) << e.message;
    EXPECT_EQ(e.message.find('\n'), std::string::npos) << e.message;
}

TEST(PipelinePose, AutoPicksThePoseModelAndSaysNobodyIsInView) {
    if (!fs::exists(network())) GTEST_SKIP() << network() << " missing (run scripts/setup-pose-models.sh)";
    DataDir data;
    TempDir d;
    colive::test::write_test_video(d / "v.avi", 40, 25.0);   // a moving square, nobody there
    Pipeline p;
    p.start(auto_config(d / "v.avi", network()));
    ASSERT_EQ(p.wait_finished(60s), PipelineState::Ended) << p.snapshot().message;
    const auto s = p.snapshot();
    EXPECT_EQ(s.model_name, "tiny_pose");
    EXPECT_EQ(s.feature_id, "pose-kp-v1");
    EXPECT_TRUE(s.model_note.empty()) << s.model_note;
    EXPECT_TRUE(s.pose_enabled);
    EXPECT_TRUE(s.nobody_in_view);
    EXPECT_FALSE(s.pose.present);
    EXPECT_EQ(s.pose.width, 160);
    EXPECT_GT(s.tokens, 10);
}

// Nobody in view with a pose-kp-v4 model: the hand network is on, and no hand is handed to the preview.
TEST(PipelinePose, NobodyInViewHasNoHands) {
    if (!fs::exists(network())) GTEST_SKIP() << network() << " missing (run scripts/setup-pose-models.sh)";
    TempDir d;
    colive::test::write_test_video(d / "v.avi", 40, 25.0);   // a moving square, nobody there
    PipelineConfig c = auto_config(d / "v.avi", network());
    c.model_path = colive::test::tiny_pose_v4_model().string();
    Pipeline p;
    p.start(c);
    ASSERT_EQ(p.wait_finished(60s), PipelineState::Ended) << p.snapshot().message;
    const auto s = p.snapshot();
    EXPECT_EQ(s.feature_id, "pose-kp-v4");
    EXPECT_TRUE(s.hands_enabled);
    EXPECT_TRUE(s.nobody_in_view);
    EXPECT_FALSE(s.hands[0].present || s.hands[1].present);
    EXPECT_EQ(s.hands_time_s, -1.0);
}

// The hands in the snapshot (what the preview draws) are the hand network's on the clip's frame at
// hands_time_s, for the arm they are given as: the network run again on that decoded frame, on the crop
// each hand reports, gives the same landmarks; a v2 model has none.
TEST(PipelinePose, HandsInTheSnapshotAreTheHandNetworksOnTheirFrame) {
    if (!fs::exists(network())) GTEST_SKIP() << network() << " missing (run scripts/setup-pose-models.sh)";
    const fs::path hand_net = network().parent_path() / "handlandmark-lite.onnx";
    if (!fs::exists(hand_net)) GTEST_SKIP() << hand_net << " missing (run scripts/setup-pose-models.sh)";
    std::vector<cv::Mat> frames;   // the clip's first 8 s (the file source's time is index / 30)
    {
        cv::VideoCapture cap(demo_pose_clip().string());
        cv::Mat f;
        while (frames.size() < 240 && cap.read(f)) frames.push_back(f.clone());
    }
    ASSERT_EQ(frames.size(), 240u);
    auto ref = HandLandmarks::load(hand_net, 1);
    for (const auto& [model, layout] : {std::pair{colive::test::tiny_pose_v2_model(), "pose-kp-v2"},
                                        std::pair{colive::test::tiny_pose_v3_model(), "pose-kp-v3"},
                                        std::pair{colive::test::tiny_pose_v4_model(), "pose-kp-v4"}}) {
        SCOPED_TRACE(layout);
        const bool hands = std::string(layout) != "pose-kp-v2";
        PipelineConfig c;
        c.source = "file:" + demo_pose_clip().string();
        c.model_path = model.string();
        c.mode = RunMode::Continual;
        c.realtime = false;
        c.pose_network = network();
        Pipeline p;
        p.start(c);
        std::map<double, HandFrames> seen;   // by hands_time_s, as the UI would have polled them
        int polls = 0;
        while (p.snapshot().media_time_s < 7.5 && p.snapshot().state != PipelineState::Ended &&
               p.snapshot().state != PipelineState::Error && polls < 3000) {
            const auto s = p.snapshot();
            ++polls;
            if (s.state == PipelineState::Running) {
                EXPECT_EQ(s.hands_enabled, hands);
                if (s.hands_time_s >= 0.0) {
                    EXPECT_LE(s.hands_time_s, s.media_time_s);
                    EXPECT_LE(s.media_time_s - s.hands_time_s, 0.2 + 1e-9);
                    seen.emplace(s.hands_time_s, s.hands);
                } else {
                    EXPECT_FALSE(s.hands[0].present || s.hands[1].present);
                }
            }
            std::this_thread::sleep_for(10ms);
        }
        p.stop();
        p.wait_finished(30s);
        if (!hands) {
            EXPECT_TRUE(seen.empty());
            continue;
        }
        int found = 0;
        for (const auto& [t, hf] : seen) {
            const auto i = static_cast<std::size_t>(std::lround(t * 30.0));
            ASSERT_NEAR(static_cast<double>(i) / 30.0, t, 1e-9);
            ASSERT_LT(i, frames.size());
            for (std::size_t a = 0; a < 2; ++a) {
                const HandFrame& h = hf[a];
                EXPECT_EQ(h.wrist, 9 + static_cast<int>(a));
                if (!h.present) continue;
                ++found;
                const HandFrame r = ref.run_crop(frames[i], h.crop_cx, h.crop_cy, h.crop_side, h.crop_angle);
                EXPECT_TRUE(r.present) << "t " << t << " arm " << a;
                EXPECT_NEAR(h.presence, r.presence, 1e-5);
                for (std::size_t k = 0; k < static_cast<std::size_t>(kHandLandmarks); ++k) {
                    EXPECT_NEAR(h.lm[k].x, r.lm[k].x, 1e-3) << "t " << t << " arm " << a << " landmark " << k;
                    EXPECT_NEAR(h.lm[k].y, r.lm[k].y, 1e-3) << "t " << t << " arm " << a << " landmark " << k;
                }
            }
        }
        std::printf("%s: %zu hand frames seen in %d polls, %d hands checked\n", layout, seen.size(), polls, found);
        EXPECT_GE(seen.size(), 5u);
        EXPECT_GT(found, 0) << "the rendered person's hands are in view in the first 8 s";
    }
}

TEST(PipelinePose, RenderedPersonThroughThePipelineBothModesAgree) {
    if (!fs::exists(network())) GTEST_SKIP() << network() << " missing (run scripts/setup-pose-models.sh)";
    for (const auto& [model, layout] : {std::pair{colive::test::tiny_pose_model(), "pose-kp-v1"},
                                        std::pair{colive::test::tiny_pose_v2_model(), "pose-kp-v2"},
                                        std::pair{colive::test::tiny_pose_v3_model(), "pose-kp-v3"},
                                        std::pair{colive::test::tiny_pose_v4_model(), "pose-kp-v4"}}) {
        SCOPED_TRACE(layout);
        PipelineConfig c;
        c.source = "file:" + demo_pose_clip().string();
        c.model_path = model.string();
        c.mode = RunMode::Both;
        c.realtime = false;
        c.pose_network = network();
        Pipeline p;
        p.start(c);
        ASSERT_TRUE(p.wait_steps(40, 120s)) << p.snapshot().message;
        const auto s = p.snapshot();
        p.stop();
        p.wait_finished(30s);
        EXPECT_EQ(s.feature_id, layout);
        EXPECT_TRUE(s.pose_enabled);
        EXPECT_FALSE(s.nobody_in_view);
        EXPECT_TRUE(s.pose.present);
        EXPECT_EQ(s.pose.width, 640);
        EXPECT_EQ(s.pose.height, 480);
        EXPECT_FALSE(s.preview.empty());
        const auto recs = p.records_after(0);
        ASSERT_GE(recs.size(), 40u);
        int compared = 0;
        for (const auto& r : recs) {
            ASSERT_TRUE(r.out[0].present && r.out[1].present);
            if (r.out[0].warmup) continue;
            ASSERT_GE(r.abs_diff, 0.0);
            EXPECT_LT(r.abs_diff, 1e-4) << "step " << r.step;
            ++compared;
        }
        EXPECT_GT(compared, 20);
    }
}

TEST(PipelinePose, LiveCameraOnThePosePathFailsCleanly) {
    if (!fs::exists(network())) GTEST_SKIP() << network() << " missing (run scripts/setup-pose-models.sh)";
    // A live source (frames dropped, not queued, when the network falls behind) that delivers
    // 120 plain frames at ~500 fps, then fails like an unplugged camera.
    Pipeline p;
    PipelineConfig c;
    c.source = "camera:test-cam";
    c.model_path = colive::test::tiny_pose_model().string();
    c.pose_network = network();
    c.make_source = [] { return std::make_unique<colive::test::FailingCamera>(120); };
    p.start(c);
    EXPECT_EQ(p.wait_finished(60s), PipelineState::Error);
    const auto s = p.snapshot();
    EXPECT_NE(s.message.find("unplugged"), std::string::npos) << s.message;
    EXPECT_TRUE(s.pose_enabled);
    EXPECT_GT(s.pose_frames, 0u);
    EXPECT_EQ(s.pose_nobody_frames, s.pose_frames);   // plain coloured frames: nobody there
    EXPECT_TRUE(s.nobody_in_view);
    EXPECT_GT(s.tokens, 5);
    EXPECT_EQ(p.live_threads(), 0);
}
