// SPDX-License-Identifier: MIT
// VideoFeatures on synthetic scenes whose motion is known by construction: a textured pattern
// shifted by a known number of pixels per second, zoomed about the centre, rotated, or still.
#include "colive/features.h"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <numbers>
#include <vector>

using colive::FeatureError;
using colive::Token;
using colive::VideoFeatures;

namespace {
// Token indices (see features.h).
constexpr int kMeanVx = 56, kMeanVy = 57, kMeanMag = 58, kDiv = 61, kCurl = 62;
constexpr int kHist = 48;

// Random texture with structure at several scales (like real scenes: coarse shapes plus detail).
cv::Mat texture(int w, int h, int seed = 3) {
    cv::RNG rng(static_cast<std::uint64_t>(seed));
    cv::Mat acc(h, w, CV_32FC3, cv::Scalar::all(0));
    for (int s : {1, 4, 16}) {
        cv::Mat n(h / s + 1, w / s + 1, CV_32FC3);
        rng.fill(n, cv::RNG::UNIFORM, 0.0, 1.0);
        cv::GaussianBlur(n, n, cv::Size(0, 0), 1.5);
        cv::Mat up;
        cv::resize(n, up, cv::Size(w, h), 0, 0, cv::INTER_CUBIC);
        acc += up;
    }
    cv::normalize(acc, acc, 0, 255, cv::NORM_MINMAX);
    cv::Mat out;
    acc.convertTo(out, CV_8UC3);
    return out;
}

// Frame of size (w, h) showing `tex` shifted by (dx, dy) pixels (content moves by +dx, +dy).
cv::Mat shifted(const cv::Mat& tex, int w, int h, double dx, double dy) {
    cv::Mat m = (cv::Mat_<double>(2, 3) << 1, 0, dx - (tex.cols - w) / 2.0, 0, 1, dy - (tex.rows - h) / 2.0);
    cv::Mat out;
    cv::warpAffine(tex, out, m, cv::Size(w, h), cv::INTER_LINEAR, cv::BORDER_REFLECT);
    return out;
}

// Frame showing tex scaled by s and rotated by angle (radians, clockwise on screen) about the centre.
cv::Mat zoomed(const cv::Mat& tex, int w, int h, double s, double angle_deg = 0.0) {
    cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(tex.cols / 2.0f, tex.rows / 2.0f), -angle_deg, s);
    m.at<double>(0, 2) -= (tex.cols - w) / 2.0;
    m.at<double>(1, 2) -= (tex.rows - h) / 2.0;
    cv::Mat out;
    cv::warpAffine(tex, out, m, cv::Size(w, h), cv::INTER_LINEAR, cv::BORDER_REFLECT);
    return out;
}

template <typename Make>
std::vector<Token> run(VideoFeatures& f, Make make, double fps, double seconds) {
    std::vector<Token> out;
    const int n = static_cast<int>(std::lround(fps * seconds));
    for (int i = 0; i < n; ++i) {
        const double t = i / fps;
        f.push(make(t), t, [&](const Token& tok) { out.push_back(tok); });
    }
    return out;
}

double mean_of(const std::vector<Token>& toks, int idx, std::size_t skip = 1) {
    double s = 0;
    std::size_t n = 0;
    for (std::size_t k = skip; k < toks.size(); ++k, ++n) s += toks[k].values[static_cast<std::size_t>(idx)];
    return n ? s / static_cast<double>(n) : 0.0;
}
}  // namespace

TEST(VideoFeatures, DimAndId) {
    VideoFeatures f;
    EXPECT_EQ(f.dim(), 196);
    EXPECT_STREQ(VideoFeatures::id(), "video-motion-v3");
    EXPECT_EQ(f.feature_id(), "video-motion-v3");
    colive::VideoFeatureParams p;
    p.descriptor = "video-motion-v1";
    VideoFeatures f1(p);
    EXPECT_EQ(f1.dim(), 88);
    EXPECT_EQ(f1.feature_id(), "video-motion-v1");
    p.descriptor = "video-motion-v7";
    EXPECT_THROW(VideoFeatures{p}, FeatureError);
}

TEST(VideoFeatures, OlderVersionsArePrefixesOfVersionThree) {
    const cv::Mat tex = texture(800, 600);
    colive::VideoFeatureParams p1, p2;
    p1.descriptor = "video-motion-v1";
    p2.descriptor = "video-motion-v2";
    VideoFeatures f1(p1), f2(p2), f3;
    EXPECT_EQ(f2.dim(), 170);
    auto make = [&](double t) { return shifted(tex, 320, 240, 60.0 * std::sin(3.0 * t), 30.0 * t); };
    const auto t1 = run(f1, make, 30.0, 1.5), t2 = run(f2, make, 30.0, 1.5), t3 = run(f3, make, 30.0, 1.5);
    ASSERT_EQ(t1.size(), t3.size());
    ASSERT_EQ(t2.size(), t3.size());
    for (std::size_t k = 0; k < t1.size(); ++k) {
        ASSERT_EQ(t1[k].values.size(), 88u);
        ASSERT_EQ(t2[k].values.size(), 170u);
        ASSERT_EQ(t3[k].values.size(), 196u);
        EXPECT_TRUE(std::equal(t1[k].values.begin(), t1[k].values.end(), t3[k].values.begin()));
        EXPECT_TRUE(std::equal(t2[k].values.begin(), t2[k].values.end(), t3[k].values.begin()));
    }
}

TEST(VideoFeatures, FastSmallObjectAtFifteenFpsIsTrackedByTheDifferenceBlock) {
    // A 40 px square crossing a 320 px frame right-to-left in 0.4 s (2.5 widths/s, 53 px per frame
    // at 15 fps: more than its own size, too far for optical flow) over a static textured scene.
    const cv::Mat bg = texture(900, 700, 31), obj = texture(40, 40, 32);
    VideoFeatures f;
    std::vector<Token> toks = run(f, [&](double t) {
        cv::Mat frame = shifted(bg, 320, 240, 0, 0);
        const int x = static_cast<int>(std::lround(300 - 2.5 * 320 * (t - 0.2)));
        if (t >= 0.2 && x > 0 && x + 40 < 320) obj.copyTo(frame(cv::Rect(x, 100, 40, 40)));
        return frame;
    }, 15.0, 0.8);
    int moving_left = 0, seen = 0;
    for (const auto& tok : toks) {
        if (tok.values[192] != 0.0f) {
            ++seen;
            moving_left += tok.values[192] < -0.5f ? 1 : 0;   // centroid velocity x (widths/s)
        }
        EXPECT_LT(std::abs(tok.values[193]), 0.5f);
    }
    EXPECT_GE(seen, 2);
    EXPECT_EQ(moving_left, seen);
    // Where the energy is: the object's row band (y = 100..140 of 240: grid row 1 or 2).
    double top = 0, middle = 0;
    for (const auto& tok : toks) {
        for (int c = 0; c < 4; ++c) top += tok.values[170 + c] + tok.values[170 + 12 + c];
        for (int c = 4; c < 12; ++c) middle += tok.values[170 + c];
    }
    EXPECT_GT(middle, 5.0 * top);
}

TEST(VideoFeatures, SmallObjectOverAShakingSceneStandsOutInTheResidualBlock) {
    // Background shakes randomly by up to 4 px per frame; a 40 px textured square (1/8 of the
    // width) moves left at 1.5 widths/s. The global mean is dominated by the shake, the residual
    // block sees the object.
    const cv::Mat bg = texture(900, 700, 21), obj = texture(40, 40, 22);
    cv::RNG rng(9);
    std::vector<cv::Point2d> shake;
    for (int i = 0; i < 60; ++i) shake.emplace_back(rng.uniform(-4.0, 4.0), rng.uniform(-4.0, 4.0));
    const double fps = 30.0;
    VideoFeatures f;
    const auto toks = run(f, [&](double t) {
        const int i = static_cast<int>(std::lround(t * fps));
        cv::Mat frame = shifted(bg, 320, 240, shake[static_cast<std::size_t>(i)].x, shake[static_cast<std::size_t>(i)].y);
        const int x = static_cast<int>(std::lround(260 - 1.5 * 320 * t));
        if (x > 0 && x + 40 < 320) obj.copyTo(frame(cv::Rect(x, 100, 40, 40)));
        return frame;
    }, fps, 0.4);
    ASSERT_GE(toks.size(), 3u);
    double wx = 0, wy = 0, cvx = 0, mx = 0, gx = 0;
    for (std::size_t k = 1; k < toks.size(); ++k) {
        wx += toks[k].values[138];
        mx += toks[k].values[140];
        gx += toks[k].values[kMeanVx];
        wy += toks[k].values[139];
        cvx += toks[k].values[146];
    }
    const double n = static_cast<double>(toks.size() - 1);
    // The Eulerian sum of sub-step flows sees the object only while it covers a pixel, so the
    // values are a fraction of its 1.5 widths/s; what matters is the clear sign.
    EXPECT_LT(wx / n, -0.15) << "object moves left";
    EXPECT_LT(mx / n, -0.25) << "moving pixels move left";
    EXPECT_GT(gx / n, 0.0) << "the global mean follows the shake instead";
    EXPECT_LT(std::abs(wy / n), 0.1);
    EXPECT_LT(cvx / n, 0.0);
    // Histogram of the residual: the left bin dominates.
    for (std::size_t k = 1; k < toks.size(); ++k) {
        const auto& v = toks[k].values;
        const auto best = std::max_element(v.begin() + 148, v.begin() + 156) - (v.begin() + 148);
        EXPECT_EQ(best, 4) << "token " << k;
    }
}

TEST(VideoFeatures, TranslationGivesFlowInTheRightDirectionAndSpeed) {
    const cv::Mat tex = texture(800, 600);
    const int W = 320, H = 240;
    const double speed = 96.0;   // pixels per second = 0.3 frame widths per second
    struct Dir {
        double dx, dy;
        int hist_bin;   // 0 right, 2 up, 4 left, 6 down
    };
    for (const Dir d : {Dir{1, 0, 0}, Dir{-1, 0, 4}, Dir{0, -1, 2}, Dir{0, 1, 6}}) {
        VideoFeatures f;
        const auto toks = run(f, [&](double t) { return shifted(tex, W, H, d.dx * speed * t, d.dy * speed * t); }, 30.0, 2.0);
        ASSERT_GE(toks.size(), 15u);
        const double vx = mean_of(toks, kMeanVx), vy = mean_of(toks, kMeanVy);
        SCOPED_TRACE(::testing::Message() << "direction (" << d.dx << ", " << d.dy << "): vx " << vx << " vy " << vy);
        EXPECT_NEAR(vx, d.dx * speed / W, 0.03);
        EXPECT_NEAR(vy, d.dy * speed / W, 0.03);
        // Every grid cell agrees on the sign of the motion.
        for (int c = 0; c < 16; ++c) {
            const double cx = mean_of(toks, 3 * c), cy = mean_of(toks, 3 * c + 1);
            if (d.dx != 0) {
                EXPECT_GT(cx * d.dx, 0.15) << "cell " << c;
            }
            if (d.dy != 0) {
                EXPECT_GT(cy * d.dy, 0.15) << "cell " << c;
            }
        }
        // The orientation histogram peaks in the motion's bin.
        int best = 0;
        for (int b = 1; b < 8; ++b)
            if (mean_of(toks, kHist + b) > mean_of(toks, kHist + best)) best = b;
        EXPECT_EQ(best, d.hist_bin);
        EXPECT_LT(std::abs(mean_of(toks, kDiv)), 0.1);
    }
}

TEST(VideoFeatures, VelocityDoesNotDependOnFrameSize) {
    const cv::Mat tex = texture(1400, 1000);
    double v[2];
    int i = 0;
    for (const cv::Size sz : {cv::Size(320, 240), cv::Size(1280, 960)}) {
        VideoFeatures f;
        // 0.3 frame widths per second in both cases.
        const double speed = 0.3 * sz.width;
        const auto toks = run(f, [&](double t) { return shifted(tex, sz.width, sz.height, speed * t, 0.0); }, 30.0, 1.5);
        v[i++] = mean_of(toks, kMeanVx);
    }
    EXPECT_NEAR(v[0], 0.3, 0.03);
    EXPECT_NEAR(v[1], 0.3, 0.03);
}

TEST(VideoFeatures, ExpansionAndContractionGiveDivergenceRotationGivesCurl) {
    const cv::Mat tex = texture(900, 700);
    const int W = 320, H = 240;
    for (double rate : {0.4, -0.3}) {   // scale grows/shrinks by `rate` per second
        VideoFeatures f;
        const auto toks = run(f, [&](double t) { return zoomed(tex, W, H, 1.0 + rate * t); }, 30.0, 1.5);
        const double div = mean_of(toks, kDiv);
        SCOPED_TRACE(::testing::Message() << "zoom rate " << rate << ": divergence " << div);
        // For x' = s(t) x, the velocity field is (s'/s) x: divergence 2 s'/s.
        EXPECT_GT(div * rate, 0.0);
        EXPECT_NEAR(div, 2.0 * rate / (1.0 + rate * 0.75), std::abs(rate) * 0.5);
        EXPECT_LT(std::abs(mean_of(toks, kMeanVx)), 0.05);
        EXPECT_LT(std::abs(mean_of(toks, kCurl)), std::abs(div) * 0.3);
    }
    VideoFeatures f;
    const auto toks = run(f, [&](double t) { return zoomed(tex, W, H, 1.0, 20.0 * t); }, 30.0, 1.5);   // 20 deg/s clockwise
    const double curl = mean_of(toks, kCurl);
    // Rigid rotation at omega rad/s has curl 2 omega (positive = clockwise on screen).
    EXPECT_NEAR(curl, 2.0 * 20.0 * std::numbers::pi / 180.0, 0.25);
    EXPECT_LT(std::abs(mean_of(toks, kDiv)), 0.15);
}

TEST(VideoFeatures, StaticSceneGivesNearZeroMotion) {
    const cv::Mat tex = texture(400, 300);
    VideoFeatures f;
    cv::Mat frame = shifted(tex, 320, 240, 0, 0);
    const auto toks = run(f, [&](double) { return frame; }, 25.0, 2.0);
    ASSERT_GE(toks.size(), 15u);
    for (const auto& t : toks) {
        EXPECT_LT(t.values[kMeanMag], 0.01);
        EXPECT_NEAR(t.values[69], cv::mean(frame)[0] / 255.0, 0.1);   // appearance: mean grey
    }
}

TEST(VideoFeatures, WaveShowsUpInTheOscillationBlock) {
    const cv::Mat tex = texture(800, 600);
    VideoFeatures wave, swipe;
    // 2 Hz horizontal oscillation vs a steady swipe of similar speed.
    const auto tw = run(wave, [&](double t) { return shifted(tex, 320, 240, 40.0 * std::sin(2 * std::numbers::pi * 1.5 * t), 0); }, 30.0, 3.0);
    const auto ts = run(swipe, [&](double t) { return shifted(tex, 320, 240, 120.0 * t, 0); }, 30.0, 3.0);
    EXPECT_GT(tw.back().values[84], 3.0 * ts.back().values[84]);   // std of mean vx over 1 s
    EXPECT_GE(tw.back().values[86], 2.0 / 9.0);                     // vx sign flips
    EXPECT_EQ(ts.back().values[86], 0.0f);
    // History block repeats the previous tokens' global motion.
    for (std::size_t k = 4; k < ts.size(); ++k) EXPECT_EQ(ts[k].values[72], ts[k - 1].values[kMeanVx]);
}

TEST(VideoFeatures, AnyFrameFormatAndSizeWorks) {
    struct Fmt {
        int w, h, type;
    };
    for (const Fmt fm : {Fmt{1, 1, CV_8UC1}, Fmt{1, 1, CV_8UC3}, Fmt{3, 7, CV_8UC3}, Fmt{641, 479, CV_8UC4},
                         Fmt{1000, 2, CV_8UC1}, Fmt{2, 1000, CV_8UC1}, Fmt{320, 240, CV_16UC1}, Fmt{319, 241, CV_16UC3},
                         Fmt{64, 48, CV_32FC1}, Fmt{33, 17, CV_16UC4}}) {
        VideoFeatures f;
        cv::Mat frame(fm.h, fm.w, fm.type);
        cv::randu(frame, 0, fm.type == CV_32FC1 ? 1.0 : 255.0);
        int tokens = 0;
        for (int i = 0; i < 12; ++i) {
            cv::Mat fr = frame.clone();
            if (i % 2) fr = fr * 0.5;
            f.push(fr, i / 10.0, [&](const Token& t) {
                ++tokens;
                ASSERT_EQ(t.values.size(), 196u);
                for (float v : t.values) ASSERT_TRUE(std::isfinite(v));
            });
        }
        EXPECT_EQ(tokens, 11) << fm.w << "x" << fm.h << " type " << fm.type;
    }
}

TEST(VideoFeatures, SixteenBitAndGreyFramesSeeTheSameMotion) {
    const cv::Mat tex = texture(800, 600);
    VideoFeatures f8, f16;
    const auto t8 = run(f8, [&](double t) { return shifted(tex, 320, 240, 90.0 * t, 0); }, 30.0, 1.0);
    const auto t16 = run(f16, [&](double t) {
        cv::Mat g, g16;
        cv::cvtColor(shifted(tex, 320, 240, 90.0 * t, 0), g, cv::COLOR_BGR2GRAY);
        g.convertTo(g16, CV_16U, 256.0);
        return g16;
    }, 30.0, 1.0);
    ASSERT_EQ(t8.size(), t16.size());
    EXPECT_NEAR(mean_of(t8, kMeanVx), mean_of(t16, kMeanVx), 0.01);
    EXPECT_GT(mean_of(t16, kMeanVx), 0.2);
}

TEST(VideoFeatures, BadFramesAreRefused) {
    VideoFeatures f;
    Token tok;
    EXPECT_THROW(f.push(cv::Mat(), 0.0, tok), FeatureError);
    EXPECT_THROW(f.push(cv::Mat(10, 10, CV_8UC2, cv::Scalar(0)), 0.0, tok), FeatureError);
    EXPECT_THROW(f.push(cv::Mat(10, 10, CV_64FC1, cv::Scalar(0)), 0.0, tok), FeatureError);
    EXPECT_THROW(f.push(cv::Mat(10, 10, CV_8UC1, cv::Scalar(0)), std::nan(""), tok), FeatureError);
    colive::VideoFeatureParams bad_rate, bad_flow, bad_width;
    bad_rate.token_rate_hz = 0.0;
    bad_flow.flow_method = "lucas";
    bad_width.work_width = 8;
    EXPECT_THROW(VideoFeatures{bad_rate}, FeatureError);
    EXPECT_THROW(VideoFeatures{bad_flow}, FeatureError);
    EXPECT_THROW(VideoFeatures{bad_width}, FeatureError);
}

TEST(VideoFeatures, TokenTimingFollowsTimestampsNotFrameCount) {
    const cv::Mat frame = texture(160, 120);
    auto times_for = [&](std::vector<double> stamps) {
        VideoFeatures f;
        std::vector<double> times;
        for (double t : stamps) f.push(frame, t, [&](const Token& tok) { times.push_back(tok.time_s); });
        return times;
    };
    auto grid = [](double fps, double seconds, double t0 = 0.0, double jitter = 0.0) {
        std::vector<double> s;
        cv::RNG rng(5);
        for (int i = 0; i < static_cast<int>(fps * seconds); ++i) s.push_back(t0 + i / fps + rng.uniform(-jitter, jitter));
        return s;
    };
    // 3 s at 15, 30, 60 fps (also jittered, and starting at t0 = 100 s): 10 tokens per second on the 0.1 s grid.
    for (const auto& stamps : {grid(15, 3), grid(30, 3), grid(60, 3), grid(30, 3, 100.0, 0.004), grid(24, 3)}) {
        const auto times = times_for(stamps);
        const double t0 = stamps.front(), dur = stamps.back() - t0;
        EXPECT_NEAR(static_cast<double>(times.size()), std::floor(dur * 10.0 + 0.5), 1.0);
        for (std::size_t k = 0; k < times.size(); ++k) EXPECT_NEAR(times[k], t0 + 0.1 * static_cast<double>(k + 1), 1e-9);
    }
    // A 4 fps camera still yields 10 tokens per second of media time (missed slots filled).
    const auto slow = times_for(grid(4, 3));
    EXPECT_NEAR(static_cast<double>(slow.size()), 27.0, 1.5);
    // Timestamps going backwards or a long gap restart the reference without crashing.
    const auto odd = times_for({0.0, 0.1, 0.2, 0.15, 0.25, 0.35, 10.0, 10.1, 10.2});
    EXPECT_EQ(odd.size(), 2u + 2u + 2u);
    // The bool overload reports one token per due frame.
    VideoFeatures f;
    Token tok;
    int n = 0;
    for (int i = 0; i < 30; ++i) n += f.push(frame, i / 30.0, tok) ? 1 : 0;
    EXPECT_EQ(n, 9);
}

TEST(VideoFeatures, FastSwipesAreMeasuredAtUsualCameraRates) {
    // A hand swipe crosses the frame in ~0.3-0.5 s: 2-3 frame widths per second.
    const cv::Mat tex = texture(2400, 600, 11);
    for (double fps : {30.0, 60.0}) {
        for (double speed : {2.0, 3.0}) {
            VideoFeatures f;
            const auto toks = run(f, [&](double t) { return shifted(tex, 320, 240, -speed * 320.0 * t, 0.0); }, fps, 0.8);
            const double vx = mean_of(toks, kMeanVx);
            EXPECT_NEAR(vx, -speed, 0.1 * speed) << fps << " fps, " << speed << " widths/s";
        }
    }
}

// ---------------------------------------------------------------------------------------------
// video-motion-v4: the dominant changing region's scale change ([196,206), see features.h).
namespace {
constexpr int kRegArea = 196, kRegSpread = 197, kRegRadial = 198, kRegDiv = 199, kRegCx = 201, kRegCy = 202;
constexpr int kRegDlogSpread = 203, kRegMeanRadial = 204, kRegMeanDiv = 205;

colive::VideoFeatureParams v4() {
    colive::VideoFeatureParams p;
    p.descriptor = "video-motion-v4";
    return p;
}

// A disc of radius r (pixels) centred at (cx, cy) over a static textured background: a flat grey
// fill, or a texture that scales with the disc (a surface moving towards / away from the camera).
cv::Mat disc_frame(const cv::Mat& bg, const cv::Mat& obj_tex, bool textured, double cx, double cy, double r) {
    cv::Mat frame = shifted(bg, 320, 240, 0, 0);
    cv::Mat mask(frame.size(), CV_8U, cv::Scalar(0));
    cv::circle(mask, cv::Point(static_cast<int>(std::lround(cx * 16)), static_cast<int>(std::lround(cy * 16))),
               static_cast<int>(std::lround(r * 16)), cv::Scalar(255), -1, cv::LINE_AA, 4);
    cv::Mat fill;
    if (textured) {
        // obj_tex scaled by r / 40 about its centre, placed at (cx, cy)
        const double s = r / 40.0;
        cv::Mat m = (cv::Mat_<double>(2, 3) << s, 0, cx - s * obj_tex.cols / 2.0, 0, s, cy - s * obj_tex.rows / 2.0);
        cv::warpAffine(obj_tex, fill, m, frame.size(), cv::INTER_LINEAR, cv::BORDER_REFLECT);
    } else {
        fill = cv::Mat(frame.size(), frame.type(), cv::Scalar(200, 200, 200));
    }
    fill.copyTo(frame, mask);
    return frame;
}
}  // namespace

TEST(VideoFeatures, VersionFourExtendsVersionThree) {
    const cv::Mat tex = texture(800, 600);
    VideoFeatures f3, f4(v4());
    EXPECT_EQ(f4.dim(), 206);
    EXPECT_EQ(f4.feature_id(), "video-motion-v4");
    auto make = [&](double t) { return shifted(tex, 320, 240, 60.0 * std::sin(3.0 * t), 30.0 * t); };
    const auto t3 = run(f3, make, 30.0, 1.5), t4 = run(f4, make, 30.0, 1.5);
    ASSERT_EQ(t3.size(), t4.size());
    for (std::size_t k = 0; k < t3.size(); ++k) {
        ASSERT_EQ(t4[k].values.size(), 206u);
        EXPECT_TRUE(std::equal(t3[k].values.begin(), t3[k].values.end(), t4[k].values.begin()));
    }
}

TEST(VideoFeatures, GrowingRegionExpandsShrinkingRegionContracts) {
    // A disc off the frame centre grows from 20 to 84 px radius in 0.8 s (a hand pushed towards the
    // camera: its edge moves outwards at 80 px/s = 0.25 widths/s, as in the rendered push clips) or
    // shrinks from 84 to 20 px (pull). The region block must find it where it is and give the sign
    // of the scale change. (The difference energy ignores changes of up to 1 px per flow sub-step
    // at the 160 px working width, so much slower edges leave no region: see features.h.)
    const cv::Mat bg = texture(900, 700, 41), obj = texture(120, 120, 42);
    const double cx = 200.0, cy = 118.0, edge_speed = 80.0, r0 = 20.0, r1 = 84.0;
    for (const bool textured : {false, true}) {
        for (const double sign : {1.0, -1.0}) {
            VideoFeatures f(v4());
            const auto toks = run(f, [&](double t) {
                const double r = sign > 0 ? r0 + edge_speed * t : r1 - edge_speed * t;
                return disc_frame(bg, obj, textured, cx, cy, r);
            }, 30.0, 0.8);
            ASSERT_GE(toks.size(), 6u);
            SCOPED_TRACE(::testing::Message() << (textured ? "textured" : "flat") << (sign > 0 ? " growing" : " shrinking"));
            int found = 0, right_sign = 0, n = 0;
            double radial = 0, spread_first = -1, spread_last = -1;
            for (std::size_t k = 1; k < toks.size(); ++k, ++n) {
                const auto& v = toks[k].values;
                if (v[kRegArea] <= 0.0f) continue;
                ++found;
                radial += v[kRegRadial];
                right_sign += v[kRegRadial] * sign > 0 ? 1 : 0;
                right_sign += v[kRegDiv] * sign > 0 ? 1 : 0;
                // the region lies on the disc (flat fill: the whole edge ring, centred on the disc;
                // textured: the largest changing patch of its texture, inside the disc)
                const double t = toks[k].time_s, r = sign > 0 ? r0 + edge_speed * t : r1 - edge_speed * t;
                const double ex = v[kRegCx] - (cx + 0.5 - 160.0) / 320.0, ey = v[kRegCy] - (cy + 0.5 - 120.0) / 320.0;
                EXPECT_LT(std::hypot(ex, ey), (textured ? r + 4.0 : 8.0) / 320.0);
                EXPECT_LT(v[kRegSpread], (r1 + 2.0) / 320.0);
                if (spread_first < 0) spread_first = v[kRegSpread];
                spread_last = v[kRegSpread];
            }
            EXPECT_GE(found, n - 1) << "the disc's edge is the dominant changing region";
            EXPECT_GE(right_sign, 2 * found - 2) << "radial speed and divergence have the sign of the scale change";
            // mean radial speed: same sign as the edge motion, at most its speed (widths/s)
            EXPECT_GT(sign * radial / found, 0.1 * edge_speed / 320.0);
            EXPECT_LT(std::abs(radial / found), 1.5 * edge_speed / 320.0);
            EXPECT_GT(sign * (spread_last - spread_first), (textured ? 4.0 : 10.0) / 320.0) << "the region's spread follows the radius";
            EXPECT_GT(sign * toks.back().values[kRegMeanRadial], 0.0f);
            EXPECT_GT(sign * toks.back().values[kRegMeanDiv], 0.0f);
            EXPECT_GT(sign * mean_of(toks, kRegDlogSpread, 2), 0.0);
        }
    }
}

TEST(VideoFeatures, StaticOrShakingSceneHasNoChangingRegion) {
    // Sensor-like noise and sub-pixel shake over a static texture leave no region (all zeros).
    const cv::Mat tex = texture(900, 700, 51);
    cv::RNG rng(4);
    VideoFeatures f(v4());
    const auto toks = run(f, [&](double) {
        cv::Mat frame = shifted(tex, 320, 240, rng.uniform(-0.7, 0.7), rng.uniform(-0.7, 0.7));
        cv::Mat noise(frame.size(), CV_16SC3);
        rng.fill(noise, cv::RNG::NORMAL, 0.0, 3.0);
        cv::Mat out;
        frame.convertTo(out, CV_16SC3);
        out += noise;
        out.convertTo(frame, CV_8UC3);
        return frame;
    }, 30.0, 1.5);
    ASSERT_GE(toks.size(), 10u);
    for (const auto& t : toks)
        for (int k = kRegArea; k < 206; ++k) EXPECT_EQ(t.values[static_cast<std::size_t>(k)], 0.0f) << "index " << k;
}

TEST(VideoFeatures, VersionFiveTellsASteadyRegionFromAPulsingOne) {
    // v5 = v4 + statistics of the region over the last 10 tokens. A textured disc that rests,
    // jittering by up to 3 px (a resting hand: little or no region, constant area, no scale
    // change) against a disc that grows from 15 to 65 px radius in 0.5 s and is then
    // absent for 0.5 s, every second (push).
    const cv::Mat bg = texture(900, 700, 61), obj = texture(120, 120, 62);
    colive::VideoFeatureParams p;
    p.descriptor = "video-motion-v5";
    VideoFeatures steady(p), pulsing(p), f4(v4());
    EXPECT_EQ(steady.dim(), 210);
    EXPECT_EQ(steady.feature_id(), "video-motion-v5");
    auto make_steady = [&](double t) {
        return disc_frame(bg, obj, true, 180.0 + 3.0 * std::sin(2 * std::numbers::pi * 2.0 * t), 120.0, 50.0);
    };
    auto make_pulsing = [&](double t) {
        const double u = std::fmod(t, 1.0) / 0.5;
        return u < 1.0 ? disc_frame(bg, obj, false, 180.0, 120.0, 15.0 + 50.0 * u) : shifted(bg, 320, 240, 0, 0);
    };
    const auto ts = run(steady, make_steady, 30.0, 2.0), tp = run(pulsing, make_pulsing, 30.0, 2.0);
    const auto t4 = run(f4, make_pulsing, 30.0, 2.0);
    ASSERT_EQ(tp.size(), t4.size());
    for (std::size_t k = 0; k < tp.size(); ++k)
        EXPECT_TRUE(std::equal(t4[k].values.begin(), t4[k].values.end(), tp[k].values.begin())) << "v4 is a prefix of v5";
    const auto& s = ts.back().values;
    const auto& q = tp.back().values;
    // the pulsing disc is present (growing) half of the time, plus the token where it vanishes
    EXPECT_GE(q[206], 0.4f);
    EXPECT_LE(q[206], 0.8f);
    EXPECT_GT(q[207], 2.0f * s[207] + 1e-4f) << "area std";
    EXPECT_GT(q[208], 2.0f * s[208] + 1e-4f) << "mean |radial speed|";
    EXPECT_GT(q[209], 2.0f * s[209] + 1e-3f) << "mean |d log spread|";
    EXPECT_LE(s[206], q[206]);
    // the statistics are those of the last 10 tokens' v4 values
    double np = 0, sa = 0, sa2 = 0, sr = 0;
    for (std::size_t k = tp.size() - 10; k < tp.size(); ++k) {
        const double a = tp[k].values[kRegArea];
        np += a > 0.0 ? 1.0 : 0.0;
        sa += a;
        sa2 += a * a;
        sr += std::abs(tp[k].values[kRegRadial]);
    }
    EXPECT_NEAR(q[206], np / 10.0, 1e-6);
    EXPECT_NEAR(q[207], std::sqrt(std::max(0.0, sa2 / 10.0 - (sa / 10.0) * (sa / 10.0))), 1e-5);
    EXPECT_NEAR(q[208], sr / 10.0, 1e-6);
}
