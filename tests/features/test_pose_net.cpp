// SPDX-License-Identifier: MIT
// PoseNet (MoveNet Lightning converted to ONNX, run by OpenCV DNN, decoded in C++) against the
// ORIGINAL tfjs graph run in node (tests/golden/pose/, made by models/pose/golden/make_golden.sh):
// head outputs on a seeded random input, decoded keypoints on it and on two real photos (Debian
// opencv-doc), the exact letterboxed network inputs; then the frame handling (nobody in view, odd
// sizes, grey/16-bit/float/BGRA frames, size changes, tracking) and the one-line errors.
//
// The converted model is not in the repository: scripts/setup-pose-models.sh makes it (CI runs it
// through scripts/setup-deps.sh). Without it these tests skip, unless COLIVE_REQUIRE_POSE_MODEL=1
// (scripts/test-all.sh sets it), when they fail.
#include "colive/features.h"
#include "colive/pose.h"
#include "npy_reader.h"
#include "pose_test_paths.h"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <tuple>

using colive::FeatureError;
using colive::PoseFrame;
using colive::PoseHeads;
using colive::PoseNet;
namespace fs = std::filesystem;

namespace {
const std::string& kGolden = colive::test::kPoseGolden;
const fs::path kModel = colive::test::pose_model("movenet-lightning");
const std::string kPhotos = "/usr/share/doc/opencv-doc/examples/data/";
cv::Mat photo(const std::string& file) { return cv::imread(kPhotos + file, cv::IMREAD_COLOR); }

// Tests that need the converted network (one instance, reset before each test) and the photos.
class PoseNetTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!colive::test::have_pose_model(kModel)) GTEST_SKIP() << kModel << " missing (scripts/setup-pose-models.sh makes it)";
        static std::optional<PoseNet> shared;
        if (!shared) shared.emplace(PoseNet::load(kModel));
        shared->reset();
        n = &*shared;
        messi = photo("messi5.jpg");
        basketball = photo("basketball1.png");
        ASSERT_FALSE(messi.empty() || basketball.empty()) << kPhotos << " photos missing (Debian opencv-doc)";
    }
    PoseNet* n = nullptr;
    cv::Mat messi, basketball;  // 8-bit BGR as cv::imread gives
};

// The golden script's seeded input: 32-bit LCG, seed 20261127, value = state >> 24, NHWC RGB.
cv::Mat random_input() {
    cv::Mat m(PoseNet::kInputSize, PoseNet::kInputSize, CV_32FC3);
    std::uint32_t s = 20261127u;
    float* p = m.ptr<float>();
    for (int i = 0; i < PoseNet::kInputSize * PoseNet::kInputSize * 3; ++i) {
        s = s * 1664525u + 1013904223u;
        p[i] = static_cast<float>(s >> 24);
    }
    return m;
}

cv::Mat golden_input(const std::string& name) {  // the exact network input the original was run on
    cv::Mat bgr = cv::imread(kGolden + name + "_input.png", cv::IMREAD_COLOR), rgb, f;
    EXPECT_FALSE(bgr.empty()) << name;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    rgb.convertTo(f, CV_32FC3);
    return f;
}

cv::FileStorage golden_json() {
    cv::FileStorage fs(kGolden + "golden.json", cv::FileStorage::READ | cv::FileStorage::FORMAT_JSON);
    EXPECT_TRUE(fs.isOpened());
    return fs;
}

// Max |diff| of decoded keypoints (x, y in units of the input square) against golden (y, x, score).
struct KpDiff {
    double pos = 0, score = 0;
};
KpDiff compare_kp(const std::array<colive::PoseKeypoint, colive::kPoseKeypoints>& kp, const cv::FileNode& g) {
    KpDiff d;
    EXPECT_EQ(static_cast<int>(g.size()), colive::kPoseKeypoints);
    for (int k = 0; k < colive::kPoseKeypoints; ++k) {
        const cv::FileNode r = g[k];
        const auto& p = kp[static_cast<std::size_t>(k)];
        d.pos = std::max({d.pos, std::abs(p.y - static_cast<double>(r[0])), std::abs(p.x - static_cast<double>(r[1]))});
        d.score = std::max(d.score, std::abs(p.score - static_cast<double>(r[2])));
    }
    return d;
}

double max_px_diff(const PoseFrame& a, const PoseFrame& b) {
    double d = 0;
    for (int k = 0; k < colive::kPoseKeypoints; ++k) {
        const auto &p = a.kp[static_cast<std::size_t>(k)], &q = b.kp[static_cast<std::size_t>(k)];
        d = std::max({d, std::abs(p.x - static_cast<double>(q.x)), std::abs(p.y - static_cast<double>(q.y)),
                      std::abs(p.score - static_cast<double>(q.score))});
    }
    return d;
}

bool finite(const PoseFrame& f) {
    for (const auto& k : f.kp)
        if (!std::isfinite(k.x) || !std::isfinite(k.y) || !std::isfinite(k.score)) return false;
    return std::isfinite(f.score);
}

std::string error_of(const fs::path& p) {
    try {
        PoseNet::load(p);
    } catch (const FeatureError& e) {
        return e.what();
    }
    return "";
}
}  // namespace

// ---- against the original tfjs graph ------------------------------------------------------------

TEST_F(PoseNetTest, HeadsMatchOriginalGraphOnRandomInput) {
    const PoseHeads h = n->infer(random_input());
    const auto g = colive::test::read_npy(kGolden + "random_heads_sub.npy");  // [86, 16, 16]
    ASSERT_EQ(g.size(), 86u * 16u * 16u);
    const std::vector<float>* heads[4] = {&h.centre, &h.heatmap, &h.regression, &h.offset};
    const int channels[4] = {1, 17, 34, 34};
    const char* names[4] = {"centre", "heatmap", "regression", "offset"};
    // Tolerances: about 5x the measured differences (centre 4.3e-7, heatmap 2.2e-6,
    // regression 1.9e-4 on values up to 52, offset 4.7e-5 on values up to 16).
    const double tol[4] = {2e-6, 1e-5, 1e-3, 2.5e-4};
    std::size_t gc = 0;
    for (int i = 0; i < 4; ++i) {
        double err = 0;
        for (int c = 0; c < channels[i]; ++c, ++gc)
            for (int y = 0; y < 16; ++y)
                for (int x = 0; x < 16; ++x) {
                    const double mine = (*heads[i])[static_cast<std::size_t>((c * 48 + 3 * y) * 48 + 3 * x)];
                    err = std::max(err, std::abs(mine - g.data[(gc * 16 + static_cast<std::size_t>(y)) * 16 + static_cast<std::size_t>(x)]));
                }
        std::printf("head %-10s OpenCV DNN vs tfjs: max |diff| = %.3g\n", names[i], err);
        EXPECT_LT(err, tol[i]) << names[i];
    }
}

TEST_F(PoseNetTest, DecodedKeypointsMatchOriginalGraphOnRandomInput) {
    const auto kp = n->decode(n->infer(random_input()));
    auto fs = golden_json();
    const KpDiff d = compare_kp(kp, fs["inputs"]["random"]["keypoints_yx"]);
    std::printf("random input: keypoints max |diff| %.3g (of the input size), scores %.3g\n", d.pos, d.score);
    EXPECT_LT(d.pos, 1e-3);
    EXPECT_LT(d.score, 1e-4);
}

TEST_F(PoseNetTest, DecodedKeypointsMatchOriginalGraphOnPhotos) {
    auto fs = golden_json();
    for (const char* name : {"basketball1", "messi5"}) {
        const auto kp = n->decode(n->infer(golden_input(name)));
        const KpDiff d = compare_kp(kp, fs["inputs"][name]["keypoints_yx"]);
        std::printf("%s: keypoints max |diff| %.3g (of the input size), scores %.3g\n", name, d.pos, d.score);
        EXPECT_LT(d.pos, 1e-3) << name;
        EXPECT_LT(d.score, 1e-4) << name;
    }
}

TEST(PoseNet, LetterboxedInputMatchesOriginalPreprocessing) {
    for (const char* name : {"basketball1", "messi5"}) {
        const cv::Mat img = photo(std::string(name) + (std::string(name) == "messi5" ? ".jpg" : ".png"));
        ASSERT_FALSE(img.empty()) << kPhotos << name << " missing (Debian opencv-doc)";
        cv::Mat mine;
        PoseNet::preprocess(img, mine);
        const double err = cv::norm(mine, golden_input(name), cv::NORM_INF);
        std::printf("%s: letterboxed 192x192 input vs tfjs pad + resizeBilinear + round: max |diff| %.3g\n", name, err);
        EXPECT_EQ(err, 0.0) << name;
    }
}

TEST_F(PoseNetTest, WholeFrameKeypointsInPhotoPixelsMatchOriginal) {
    auto fs = golden_json();
    for (const auto& [name, img] : {std::pair<std::string, cv::Mat>{"basketball1", basketball}, {"messi5", messi}}) {
        const PoseFrame f = n->run(img);  // first frame: the whole frame, letterboxed
        const cv::FileNode g = fs["inputs"][name];
        const double side = static_cast<double>(g["side"]);
        EXPECT_EQ(f.width, img.cols);
        EXPECT_EQ(f.height, img.rows);
        EXPECT_TRUE(f.present) << name << " score " << f.score;
        double err = 0;
        for (int k = 0; k < colive::kPoseKeypoints; ++k) {
            const cv::FileNode r = g["keypoints_px_xy"][k];
            err = std::max({err, std::abs(f.kp[static_cast<std::size_t>(k)].x - static_cast<double>(r[0])),
                            std::abs(f.kp[static_cast<std::size_t>(k)].y - static_cast<double>(r[1]))});
        }
        std::printf("%s: keypoints in photo pixels max |diff| %.3g px (%.3g of the square), person score %.3f\n",
                    name.c_str(), err, err / side, f.score);
        EXPECT_LT(err / side, 1e-3) << name;
    }
}

// ---- frames -------------------------------------------------------------------------------------

TEST_F(PoseNetTest, NobodyInViewIsNotPresent) {
    cv::Mat noise(480, 640, CV_8UC3);
    cv::randu(noise, 0, 256);
    cv::Mat smooth_noise;
    cv::resize(noise(cv::Rect(0, 0, 64, 48)), smooth_noise, noise.size(), 0, 0, cv::INTER_CUBIC);
    const std::pair<const char*, cv::Mat> frames[] = {
        {"grey", cv::Mat(480, 640, CV_8UC3, cv::Scalar::all(128))},
        {"black", cv::Mat::zeros(480, 640, CV_8UC3)},
        {"white", cv::Mat(720, 1280, CV_8UC3, cv::Scalar::all(255))},
        {"noise", noise},
        {"smooth noise", smooth_noise},
    };
    for (const auto& [name, m] : frames) {
        n->reset();
        for (int i = 0; i < 3; ++i) {  // a few frames: tracking must not invent anybody either
            const PoseFrame f = n->run(m);
            std::printf("%s frame %d: person score %.3f\n", name, i, f.score);
            EXPECT_FALSE(f.present) << name << " frame " << i << " score " << f.score;
            EXPECT_TRUE(finite(f));
        }
    }
}

TEST_F(PoseNetTest, OddFrameSizesAndTypes) {
    for (const cv::Size s : {cv::Size(17, 301), cv::Size(1920, 200), cv::Size(1, 1), cv::Size(2, 3), cv::Size(301, 17)}) {
        for (const int type : {CV_8UC1, CV_8UC3, CV_8UC4, CV_16UC1, CV_16UC3, CV_32FC3}) {
            cv::Mat m(s, type);
            cv::randu(m, 0, CV_MAT_DEPTH(type) == CV_32F ? 1.0 : (CV_MAT_DEPTH(type) == CV_16U ? 65535 : 255));
            const PoseFrame f = n->run(m);
            EXPECT_EQ(f.width, s.width);
            EXPECT_EQ(f.height, s.height);
            EXPECT_TRUE(finite(f)) << s << " type " << type;
        }
    }
    EXPECT_THROW(n->run(cv::Mat()), FeatureError);
    EXPECT_THROW(n->run(cv::Mat(10, 10, CV_64FC3, cv::Scalar::all(0.5))), FeatureError);
    EXPECT_THROW(n->run(cv::Mat(10, 10, CV_8UC2, cv::Scalar::all(5))), FeatureError);
}

TEST_F(PoseNetTest, GreyBgra16BitAndFloatFramesGiveTheSameKeypoints) {
    const cv::Mat& bgr = messi;
    const PoseFrame ref = n->run(bgr);
    ASSERT_TRUE(ref.present);
    cv::Mat bgra, u16, f32, grey, grey3;
    cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
    bgr.convertTo(u16, CV_16U, 257.0);
    bgr.convertTo(f32, CV_32F, 1.0 / 255.0);
    // BGRA and 16-bit (x257) frames give the same network input exactly; float 0..1 frames can
    // round a pixel of the input the other way (x/255*255 is not always x), moving keypoints slightly.
    for (const auto& [name, m, tol] : {std::tuple<const char*, cv::Mat, double>{"BGRA", bgra, 1e-3},
                                       {"16-bit", u16, 1e-3}, {"float", f32, 0.25}}) {
        n->reset();
        const double d = max_px_diff(n->run(m), ref);
        std::printf("%s vs 8-bit BGR: max |diff| %.3g\n", name, d);
        EXPECT_LT(d, tol) << name;
    }
    // A grey frame: the same as that grey image given as BGR, and the person is still found.
    cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
    cv::cvtColor(grey, grey3, cv::COLOR_GRAY2BGR);
    n->reset();
    const PoseFrame g1 = n->run(grey);
    n->reset();
    const PoseFrame g3 = n->run(grey3);
    EXPECT_LT(max_px_diff(g1, g3), 1e-3);
    EXPECT_TRUE(g1.present);
    // The network sees a different image, so the keypoints move a little (nose: 15 px of 548).
    for (int k : {0, 5, 6})
        EXPECT_LT(std::hypot(g1.kp[static_cast<std::size_t>(k)].x - ref.kp[static_cast<std::size_t>(k)].x,
                             g1.kp[static_cast<std::size_t>(k)].y - ref.kp[static_cast<std::size_t>(k)].y),
                  0.05 * bgr.cols)
            << "keypoint " << k << " moved on the grey frame";
}

TEST_F(PoseNetTest, FrameSizeChangeMidStreamStartsAfresh) {
    const cv::Mat &a = messi, &b = basketball;
    const PoseFrame fresh_b = n->run(b);
    n->reset();
    n->run(a);
    n->run(a);  // now tracking a crop of a
    const PoseFrame after = n->run(b);
    EXPECT_EQ(after.width, b.cols);
    EXPECT_EQ(after.height, b.rows);
    EXPECT_LT(max_px_diff(after, fresh_b), 1e-3) << "a new frame size must forget the old crop";
}

TEST_F(PoseNetTest, TracksOnePersonAcrossFrames) {
    // basketball1: two people; the whole frame picks the player on the left (golden). Shift the frame
    // a few pixels per step (a camera pan): the tracked crop must stay on that player.
    const cv::Mat& img = basketball;
    const PoseFrame first = n->run(img);
    ASSERT_TRUE(first.present);
    ASSERT_LT(first.kp[5].x, img.cols / 2) << "expected the left player first";
    float nose_x = first.kp[0].x, nose_y = first.kp[0].y;
    for (int i = 1; i <= 10; ++i) {
        const float dx = 6.0f * static_cast<float>(i), dy = 2.0f * static_cast<float>(i);
        const cv::Mat M = (cv::Mat_<double>(2, 3) << 1, 0, dx, 0, 1, dy);
        cv::Mat shifted;
        cv::warpAffine(img, shifted, M, img.size());
        const PoseFrame f = n->run(shifted);
        ASSERT_TRUE(f.present) << "step " << i;
        const double moved = std::hypot(f.kp[0].x - (first.kp[0].x + dx), f.kp[0].y - (first.kp[0].y + dy));
        EXPECT_LT(moved, 12.0) << "step " << i << ": nose " << f.kp[0].x << "," << f.kp[0].y;
        EXPECT_LT(std::hypot(f.kp[0].x - nose_x, f.kp[0].y - nose_y), 25.0) << "step " << i << ": jumped";
        nose_x = f.kp[0].x;
        nose_y = f.kp[0].y;
    }
}

// ---- errors -------------------------------------------------------------------------------------

TEST(PoseNet, MissingAndCorruptModelsGiveOneLineErrors) {
    const fs::path dir = fs::temp_directory_path() / ("colive_pose_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
    fs::create_directories(dir);
    const std::string missing = error_of(dir / "nope.onnx");
    EXPECT_NE(missing.find("not found"), std::string::npos) << missing;
    {
        std::ofstream(dir / "garbage.onnx", std::ios::binary) << "this is not an ONNX file\n\x01\x02\x03";
    }
    {
        std::ofstream(dir / "empty.onnx", std::ios::binary);
    }
    if (fs::exists(kModel)) {  // truncated real model
        std::ifstream in(kModel, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::ofstream(dir / "truncated.onnx", std::ios::binary) << bytes.substr(0, bytes.size() / 3);
    }
    const fs::path wrong_outputs = fs::path(COLIVE_GOLDEN_DIR) / "features" / "tiny_frame_cnn.onnx";
    for (const fs::path& p : {dir / "nope.onnx", dir / "garbage.onnx", dir / "empty.onnx", dir / "truncated.onnx", wrong_outputs}) {
        if (!fs::exists(p) && p.filename() == "truncated.onnx") continue;
        const std::string e = error_of(p);
        std::printf("%s -> %s\n", p.filename().c_str(), e.c_str());
        EXPECT_FALSE(e.empty()) << p;
        EXPECT_EQ(e.find('\n'), std::string::npos) << e;
        EXPECT_NE(e.find(p.filename().string()), std::string::npos) << e;
    }
    fs::remove_all(dir);
}

TEST_F(PoseNetTest, StaysWithTheTrackedPersonWhenAnotherIsMoreCentral) {
    // Two copies of the messi5 player side by side in a 1200x600 frame: A in the centre, B on the
    // right. From a fresh start the network picks A (its centre prior favours the middle). When B
    // was alone in view first, the tracked crop keeps B once A appears.
    const int W = 1200, H = 600, y = (H - messi.rows) / 2, ax = W / 2 - messi.cols / 2, bx = W - messi.cols;
    const float a_nose = static_cast<float>(ax + 235), b_nose = static_cast<float>(bx + 235);  // nose at x~235 in messi5
    cv::Mat both(H, W, CV_8UC3, cv::Scalar::all(40));
    messi.copyTo(both(cv::Rect(bx, y, messi.cols, messi.rows)));
    const cv::Mat b_only = both.clone();
    messi.copyTo(both(cv::Rect(ax, y, messi.cols, messi.rows)));
    auto near = [](const PoseFrame& f, float x) { return std::abs(f.kp[0].x - x) < 60.0f; };

    const PoseFrame fresh = n->run(both);
    std::printf("fresh start, both in view: nose x %.0f (A %.0f, B %.0f), score %.2f\n", fresh.kp[0].x, a_nose, b_nose, fresh.score);
    EXPECT_TRUE(near(fresh, a_nose));
    n->reset();
    for (int i = 0; i < 3; ++i) {
        const PoseFrame f = n->run(b_only);
        std::printf("B alone, frame %d: nose x %.0f, score %.2f\n", i, f.kp[0].x, f.score);
        ASSERT_TRUE(f.present && near(f, b_nose));
    }
    for (int i = 0; i < 5; ++i) {
        const PoseFrame f = n->run(both);
        std::printf("both in view, frame %d: nose x %.0f, score %.2f\n", i, f.kp[0].x, f.score);
        EXPECT_TRUE(f.present);
        EXPECT_TRUE(near(f, b_nose)) << "frame " << i << ": switched person";
    }
}
