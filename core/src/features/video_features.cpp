// SPDX-License-Identifier: MIT
// VideoFeatures: any frame -> grey working-size image -> dense optical flow (OpenCV DIS) between
// the frames at consecutive token times -> motion descriptor token at a fixed token rate.
// The token layout is documented in colive/features.h (video-motion-v4; v1, v2 and v3 are its first
// 88, 170 and 196 floats).
#include "colive/backbone.h"
#include "colive/features.h"
#include "opencv_threads.h"
#include "pose_video.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <numbers>
#include <optional>
#include <string>

namespace colive {

namespace {
constexpr int kGrid = 4;
constexpr int kBins = 8;
constexpr int kHistory = 4;        // previous tokens whose global motion is repeated in the token
constexpr int kOscTokens = 10;     // tokens in the oscillation statistics
constexpr int kDimV1 = kGrid * kGrid * 3 + kBins + 13 + 3 + 3 * kHistory + 4;
static_assert(kDimV1 == 88);
constexpr int kResBase = kDimV1;                                  // v2: residual (object) motion block
constexpr int kResDim = 2 + kGrid * kGrid * 3 + 2 + 3 + 3 + 2 + kBins + 2;
static_assert(kResDim == 70);
constexpr int kResHistBase = kResBase + kResDim;                  // v2: residual history + oscillation
constexpr int kDimV2 = kResHistBase + 2 * kHistory + 4;
static_assert(kDimV2 == 170);
constexpr int kDiffBase = kDimV2;                                 // v3: background-compensated frame difference
constexpr int kDimV3 = kDiffBase + kGrid * kGrid + 2 + 2 + 2 + 2 + 2;
static_assert(kDimV3 == 196);
constexpr int kBlobBase = kDimV3;                                 // v4: dominant changing region (the hand)
constexpr int kDimV4 = kBlobBase + 10;
static_assert(kDimV4 == 206);
constexpr int kDimV5 = kDimV4 + 4;                                // v5: nonlinear statistics of the region over time
static_assert(kDimV5 == 210);
constexpr float kBlobThreshold = 8.0f;      // 5x5 mean of the token's region energy (grey levels)
constexpr double kBlobMinFrac = 0.002;      // smaller dominant regions count as none
constexpr double kBlobMaxDiv = 20.0;        // clamp of the region's divergence / curl (1/s)
constexpr double kMinEnergyFrac = 0.002;    // fewer changed pixels than this: no centroid
constexpr double kResMoving = 0.1;          // residual speed (widths/s) that counts as moving
constexpr double kMovingThreshold = 0.05;   // frame widths per second
constexpr double kOscThreshold = 0.02;      // |global vx| below this does not count as a sign
constexpr double kMaxFlowHz = 30.0;         // flow sub-steps per second at most
}  // namespace

struct VideoFeatures::Impl {
    VideoFeatureParams p;
    double period = 0.1;
    cv::Ptr<cv::DISOpticalFlow> dis;
    cv::Mat grey8, conv, cur, ref, prev, flow, acc;
    bool have_ref = false;
    double ref_t = 0.0, prev_t = 0.0, next_due = 0.0, last_t = 0.0, frame_dt_ema = 0.0;
    cv::Size work_size;
    // global vx, vy, div, residual wx, wy, v4 region radial speed and divergence of past tokens (newest first)
    // (v5 adds: region found, region area, |radial speed|, |d log spread / dt|)
    std::deque<std::array<float, 11>> history;
    std::array<float, 11> current{};            // the same for the token being built
    int version = 3;
    // v3 difference-energy state for the token being built
    cv::Mat aligned, shifted, diff_s, diff8, energy8, eacc;
    int substeps = 0;
    bool have_first = false, have_last = false;
    double first_cx = 0, first_cy = 0, first_t = 0, last_cx = 0, last_cy = 0, lastsub_t = 0;
    bool have_ecentroid = false;
    double ecx = 0.0, ecy = 0.0;
    bool have_centroid = false;
    double centroid_x = 0.0, centroid_y = 0.0;
    double bg_x = 0.0, bg_y = 0.0;              // background (median) flow of the token, widths/s
    // v4 region state
    cv::Mat eregion, eblur, bmask, bmask_open, blabels, bstats, bcentroids, bkernel;
    bool have_blob = false;
    double blob_spread = 0.0;
    std::vector<float> med_x, med_y;
    std::vector<float> desc;
    Token tok;
    std::optional<OnnxBackbone> backbone;
    std::unique_ptr<PoseVideo> pose;            // descriptor pose-kp-v1 / -v2 / -v3
    int pose_version = 0;                       // PoseTokenizer layout version when pose
    int dimension = kDimV3;

    explicit Impl(VideoFeatureParams params) : p(std::move(params)) {
        if (!(p.token_rate_hz >= 0.5 && p.token_rate_hz <= 120.0))
            throw FeatureError("video features: token_rate_hz must be in [0.5, 120], got " + std::to_string(p.token_rate_hz));
        if (p.work_width < 32 || p.work_width > 1024)
            throw FeatureError("video features: work_width must be in [32, 1024], got " + std::to_string(p.work_width));
        period = 1.0 / p.token_rate_hz;
        if (p.descriptor == "video-motion-v1") version = 1;
        else if (p.descriptor == "video-motion-v2") version = 2;
        else if (p.descriptor.empty() || p.descriptor == "video-motion-v3") version = 3;
        else if (p.descriptor == "video-motion-v4") version = 4;
        else if (p.descriptor == "video-motion-v5") version = 5;
        else if ((pose_version = PoseTokenizer::version_of(p.descriptor)) != 0) version = 0;
        else
            throw FeatureError("video features: unknown descriptor \"" + p.descriptor +
                               "\" (known: video-motion-v5, -v4, -v3, -v2, -v1, pose-kp-v4, -v3, -v2, -v1)");
        const int dims[] = {PoseTokenizer::dim_of(pose_version), kDimV1, kDimV2, kDimV3, kDimV4, kDimV5};
        dimension = dims[version];
        if (version == 0) {
            if (!p.backbone_manifest.empty())
                throw FeatureError(std::string("video features: ") + PoseTokenizer::id(pose_version) +
                                   " does not take a backbone manifest");
            pose = std::make_unique<PoseVideo>(p.pose_model, p.token_rate_hz, p.pose_rate_hz, pose_version, p.hand_model,
                                               p.hand_detector_model);
        }
        if (!p.flow_method.empty() && p.flow_method != "dis" && p.flow_method != "farneback")
            throw FeatureError("video features: flow_method must be \"dis\" or \"farneback\", got \"" + p.flow_method + "\"");
        dis = cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_ULTRAFAST);
        dis->setFinestScale(1);
        dis->setPatchSize(4);
        dis->setPatchStride(2);
        if (!p.backbone_manifest.empty()) {
            backbone.emplace(OnnxBackbone::load(p.backbone_manifest));
            if (backbone->manifest().input_kind != "frame")
                throw FeatureError("video features: backbone '" + backbone->manifest().name + "' takes input_kind '" +
                                   backbone->manifest().input_kind + "', expected 'frame'");
            dimension = backbone->dim();
        }
        // v1-v3 are prefixes of v4; the v4 block is computed only when asked for (v1-v3 cost as before)
        desc.resize(static_cast<std::size_t>(kDimV5));
        bkernel = cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3));
        tok.values.resize(static_cast<std::size_t>(dimension));
    }

    void reset() {
        if (pose) pose->reset();
        have_ref = false;
        history.clear();
        have_centroid = false;
        have_ecentroid = false;
        have_blob = false;
        frame_dt_ema = 0.0;
    }

    void to_work(const cv::Mat& frame) {
        if (frame.empty() || frame.dims != 2 || frame.rows < 1 || frame.cols < 1)
            throw FeatureError("video features: empty or non-2-D frame");
        const int d = frame.depth(), ch = frame.channels();
        if (ch != 1 && ch != 3 && ch != 4)
            throw FeatureError("video features: frames must have 1, 3 or 4 channels, got " + std::to_string(ch));
        const cv::Mat* src = &frame;
        if (d == CV_16U) {
            frame.convertTo(conv, CV_8U, 1.0 / 256.0);
            src = &conv;
        } else if (d == CV_32F) {
            frame.convertTo(conv, CV_8U, 255.0);
            src = &conv;
        } else if (d != CV_8U) {
            throw FeatureError("video features: frames must be 8-bit, 16-bit or float [0,1]");
        }
        if (ch == 3) cv::cvtColor(*src, grey8, cv::COLOR_BGR2GRAY);
        else if (ch == 4) cv::cvtColor(*src, grey8, cv::COLOR_BGRA2GRAY);
        else grey8 = *src;
        const int w = p.work_width;
        const double h_exact = static_cast<double>(w) * frame.rows / frame.cols;
        const int h = std::clamp(static_cast<int>(std::lround(h_exact)), 32, 4 * w);
        const cv::Size sz(w, h);
        if (sz != work_size) {
            work_size = sz;
            have_ref = false;       // a new geometry starts a new motion reference
        }
        const int interp = (grey8.cols >= w && grey8.rows >= h) ? cv::INTER_AREA : cv::INTER_LINEAR;
        cv::resize(grey8, cur, sz, 0, 0, interp);
    }

    // Fills `desc` from `acc` (pixels moved between ref and cur) over dt seconds.
    void describe(double dt) {
        const int W = acc.cols, H = acc.rows;
        const double scale = 1.0 / (W * dt);   // pixels -> frame widths per second
        std::fill(desc.begin(), desc.end(), 0.0f);
        std::array<double, kGrid * kGrid * 3> grid{};
        std::array<int, kGrid * kGrid> cnt{};
        std::array<double, kBins> hist{};
        double sx = 0, sy = 0, sm = 0, sxx = 0, syy = 0;
        double ax = 0, ay = 0, bx = 0, by = 0, xx = 0, yy = 0;   // affine moments
        double moving = 0, wsum = 0, wx = 0, wy = 0, wxx = 0;
        for (int y = 0; y < H; ++y) {
            const auto* f = acc.ptr<cv::Vec2f>(y);
            const int gy = y * kGrid / H;
            const double ny = (y + 0.5 - H / 2.0) / W;
            for (int x = 0; x < W; ++x) {
                const double vx = f[x][0] * scale, vy = f[x][1] * scale;
                const double m = std::sqrt(vx * vx + vy * vy);
                const int gx = x * kGrid / W;
                const int c = gy * kGrid + gx;
                grid[static_cast<std::size_t>(3 * c)] += vx;
                grid[static_cast<std::size_t>(3 * c + 1)] += vy;
                grid[static_cast<std::size_t>(3 * c + 2)] += m;
                ++cnt[static_cast<std::size_t>(c)];
                if (m > 1e-9) {
                    double ang = std::atan2(-vy, vx);                       // up = +90 degrees
                    if (ang < 0) ang += 2 * std::numbers::pi;
                    int bin = static_cast<int>(std::floor(ang / (2 * std::numbers::pi / kBins) + 0.5)) % kBins;
                    hist[static_cast<std::size_t>(bin)] += m;
                }
                sx += vx;
                sy += vy;
                sm += m;
                sxx += vx * vx;
                syy += vy * vy;
                const double nx = (x + 0.5 - W / 2.0) / W;
                ax += nx * vx;
                ay += ny * vx;
                bx += nx * vy;
                by += ny * vy;
                xx += nx * nx;
                yy += ny * ny;
                if (m > kMovingThreshold) moving += 1;
                wsum += m;
                wx += m * nx;
                wy += m * ny;
                wxx += m * (nx * nx + ny * ny);
            }
        }
        const double N = static_cast<double>(W) * H;
        int o = 0;
        for (int c = 0; c < kGrid * kGrid; ++c) {
            const double n = std::max(1, cnt[static_cast<std::size_t>(c)]);
            for (int k = 0; k < 3; ++k) desc[static_cast<std::size_t>(o + 3 * c + k)] = static_cast<float>(grid[static_cast<std::size_t>(3 * c + k)] / n);
        }
        o += kGrid * kGrid * 3;
        for (int b = 0; b < kBins; ++b) desc[static_cast<std::size_t>(o + b)] = static_cast<float>(hist[static_cast<std::size_t>(b)] / N);
        o += kBins;
        const double mx = sx / N, my = sy / N;
        // Affine flow fit (centred coordinates: the cross terms vanish): v = v0 + A [x y]^T.
        const double a1 = ax / xx, a2 = ay / yy, b1 = bx / xx, b2 = by / yy;
        const double div = a1 + b2, curl = b1 - a2;
        const float g[13] = {static_cast<float>(mx), static_cast<float>(my), static_cast<float>(sm / N),
                             static_cast<float>(std::sqrt(std::max(0.0, sxx / N - mx * mx))),
                             static_cast<float>(std::sqrt(std::max(0.0, syy / N - my * my))),
                             static_cast<float>(div), static_cast<float>(curl), static_cast<float>(a1 - b2),
                             static_cast<float>(a2 + b1), static_cast<float>(moving / N),
                             static_cast<float>(wsum > 1e-9 ? wx / wsum : 0.0),
                             static_cast<float>(wsum > 1e-9 ? wy / wsum : 0.0),
                             static_cast<float>(wsum > 1e-9 ? std::sqrt(std::max(0.0, wxx / wsum - (wx * wx + wy * wy) / (wsum * wsum))) : 0.0)};
        std::copy(std::begin(g), std::end(g), desc.begin() + o);
        o += 13;
        cv::Scalar mean, sd;
        cv::meanStdDev(cur, mean, sd);
        desc[static_cast<std::size_t>(o)] = static_cast<float>(mean[0] / 255.0);
        desc[static_cast<std::size_t>(o + 1)] = static_cast<float>(sd[0] / 255.0);
        desc[static_cast<std::size_t>(o + 2)] = static_cast<float>(cv::norm(cur, ref, cv::NORM_L1) / (N * 255.0));
        o += 3;
        if (o != kDimV1 - 3 * kHistory - 4) throw FeatureError("video features: internal layout error");
        current = {static_cast<float>(mx), static_cast<float>(my), static_cast<float>(div), 0.0f, 0.0f, 0.0f, 0.0f,
                   0.0f, 0.0f, 0.0f, 0.0f};
        describe_residual(dt);
        describe_difference(dt);
        if (version >= 4) describe_region(dt);
        write_history();
    }

    // v2 block [88,158): motion relative to the background. The median flow (camera shake, pans)
    // is subtracted, so a small hand moving over a shaking scene still stands out.
    void describe_residual(double dt) {
        const int W = acc.cols, H = acc.rows;
        const double scale = 1.0 / (W * dt);
        const std::size_t N = static_cast<std::size_t>(W) * static_cast<std::size_t>(H);
        med_x.resize(N);
        med_y.resize(N);
        for (int y = 0; y < H; ++y) {
            const auto* f = acc.ptr<cv::Vec2f>(y);
            for (int x = 0; x < W; ++x) {
                med_x[static_cast<std::size_t>(y) * W + x] = f[x][0];
                med_y[static_cast<std::size_t>(y) * W + x] = f[x][1];
            }
        }
        std::nth_element(med_x.begin(), med_x.begin() + static_cast<std::ptrdiff_t>(N / 2), med_x.end());
        std::nth_element(med_y.begin(), med_y.begin() + static_cast<std::ptrdiff_t>(N / 2), med_y.end());
        const double bx = med_x[N / 2] * scale, by = med_y[N / 2] * scale;
        bg_x = bx;
        bg_y = by;
        std::array<double, kGrid * kGrid * 3> grid{};
        std::array<int, kGrid * kGrid> cnt{};
        std::array<double, kBins> hist{};
        double sw = 0, swx = 0, swy = 0, mov = 0, mrx = 0, mry = 0, cx = 0, cy = 0, cr = 0, ldiv = 0, lcurl = 0;
        const double d_scale = scale * W / 2.0;   // central difference in px -> (widths/s) per width
        for (int y = 0; y < H; ++y) {
            const auto* f = acc.ptr<cv::Vec2f>(y);
            const auto* fu = acc.ptr<cv::Vec2f>(std::max(0, y - 1));
            const auto* fd = acc.ptr<cv::Vec2f>(std::min(H - 1, y + 1));
            const int gy = y * kGrid / H;
            const double ny = (y + 0.5 - H / 2.0) / W;
            for (int x = 0; x < W; ++x) {
                const double rx = f[x][0] * scale - bx, ry = f[x][1] * scale - by;
                const double rm = std::sqrt(rx * rx + ry * ry);
                const int c = gy * kGrid + x * kGrid / W;
                grid[static_cast<std::size_t>(3 * c)] += rx;
                grid[static_cast<std::size_t>(3 * c + 1)] += ry;
                grid[static_cast<std::size_t>(3 * c + 2)] += rm;
                ++cnt[static_cast<std::size_t>(c)];
                if (rm > 1e-9) {
                    double ang = std::atan2(-ry, rx);
                    if (ang < 0) ang += 2 * std::numbers::pi;
                    hist[static_cast<std::size_t>(static_cast<int>(std::floor(ang / (2 * std::numbers::pi / kBins) + 0.5)) % kBins)] += rm;
                }
                const double nx = (x + 0.5 - W / 2.0) / W;
                sw += rm;
                swx += rx * rm;
                swy += ry * rm;
                cx += rm * nx;
                cy += rm * ny;
                cr += rm * (nx * nx + ny * ny);
                if (rm > kResMoving) {
                    mov += 1;
                    mrx += rx;
                    mry += ry;
                    const int xl = std::max(0, x - 1), xr = std::min(W - 1, x + 1);
                    const double dudx = (f[xr][0] - f[xl][0]) * d_scale, dvdy = (fd[x][1] - fu[x][1]) * d_scale;
                    const double dvdx = (f[xr][1] - f[xl][1]) * d_scale, dudy = (fd[x][0] - fu[x][0]) * d_scale;
                    ldiv += dudx + dvdy;
                    lcurl += dvdx - dudy;
                }
            }
        }
        const double n_all = static_cast<double>(N);
        int o = kResBase;
        auto put = [&](double v) { desc[static_cast<std::size_t>(o++)] = static_cast<float>(v); };
        put(bx);
        put(by);
        for (int c = 0; c < kGrid * kGrid; ++c) {
            const double n = std::max(1, cnt[static_cast<std::size_t>(c)]);
            for (int k = 0; k < 3; ++k) put(grid[static_cast<std::size_t>(3 * c + k)] / n);
        }
        const bool any = sw > 1e-6 * n_all;
        const double wx = any ? swx / sw : 0.0, wy = any ? swy / sw : 0.0;
        put(wx);
        put(wy);
        put(mov > 0 ? mrx / mov : 0.0);
        put(mov > 0 ? mry / mov : 0.0);
        put(mov / n_all);
        const double gx = any ? cx / sw : 0.0, gy = any ? cy / sw : 0.0;
        put(gx);
        put(gy);
        put(any ? std::sqrt(std::max(0.0, cr / sw - gx * gx - gy * gy)) : 0.0);
        const bool strong = mov / n_all > 0.002;
        put(strong && have_centroid ? (gx - centroid_x) / dt : 0.0);
        put(strong && have_centroid ? (gy - centroid_y) / dt : 0.0);
        have_centroid = strong;
        centroid_x = gx;
        centroid_y = gy;
        for (int b = 0; b < kBins; ++b) put(hist[static_cast<std::size_t>(b)] / n_all);
        put(mov > 0 ? ldiv / mov : 0.0);
        put(mov > 0 ? lcurl / mov : 0.0);
        if (o != kResHistBase) throw FeatureError("video features: internal layout error (v2)");
        current[3] = static_cast<float>(wx);
        current[4] = static_cast<float>(wy);
    }

    // v3, per flow sub-step: frame difference after aligning the previous frame by the background
    // (median) motion, minus a noise floor (3 x median difference + 4 grey levels), accumulated into
    // eacc. It marks where something moved even when it moved too far for the optical flow (a fast
    // hand at 15 fps). The centroid of each sub-step's energy is kept for the first and last sub-step.
    void accumulate_difference(double t) {
        const std::size_t N = flow.total();
        med_x.resize(N);
        med_y.resize(N);
        std::size_t i = 0;
        for (int y = 0; y < flow.rows; ++y) {
            const auto* f = flow.ptr<cv::Vec2f>(y);
            for (int x = 0; x < flow.cols; ++x, ++i) {
                med_x[i] = f[x][0];
                med_y[i] = f[x][1];
            }
        }
        std::nth_element(med_x.begin(), med_x.begin() + static_cast<std::ptrdiff_t>(N / 2), med_x.end());
        std::nth_element(med_y.begin(), med_y.begin() + static_cast<std::ptrdiff_t>(N / 2), med_y.end());
        const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, med_x[N / 2], 0, 1, med_y[N / 2]);
        cv::warpAffine(prev, aligned, shift, prev.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
        aligned_difference();
        cv::accumulate(energy8, eacc);
        ++substeps;
        const cv::Moments mo = cv::moments(energy8, false);
        if (mo.m00 > kMinEnergyFrac * static_cast<double>(N) * 8.0) {
            const double W = energy8.cols, H = energy8.rows;
            const double cx = (mo.m10 / mo.m00 + 0.5 - W / 2.0) / W, cy = (mo.m01 / mo.m00 + 0.5 - H / 2.0) / W;
            if (!have_first) {
                have_first = true;
                first_cx = cx;
                first_cy = cy;
                first_t = t;
            }
            have_last = true;
            last_cx = cx;
            last_cy = cy;
            lastsub_t = t;
        }
    }

    // energy8 = |cur - aligned| minimised over +-1 px shifts of `aligned`, minus a noise floor
    // (3 x median + 4 grey levels). A residual misalignment of the background (sub-pixel shake,
    // periodic textures) leaves no energy on its edges, while a hand that moved several pixels
    // still does.
    void aligned_difference() {
        const std::size_t N = cur.total();
        cv::absdiff(cur, aligned, diff8);
        cv::copyMakeBorder(aligned, shifted, 1, 1, 1, 1, cv::BORDER_REPLICATE);
        for (int dy = -1; dy <= 1; ++dy) {
            for (int dx = -1; dx <= 1; ++dx) {
                if (dx == 0 && dy == 0) continue;
                cv::absdiff(cur, shifted(cv::Rect(1 + dx, 1 + dy, cur.cols, cur.rows)), diff_s);
                cv::min(diff8, diff_s, diff8);
            }
        }
        int hist[256] = {};
        for (int y = 0; y < diff8.rows; ++y) {
            const auto* d = diff8.ptr<std::uint8_t>(y);
            for (int x = 0; x < diff8.cols; ++x) ++hist[d[x]];
        }
        std::size_t cum = 0;
        int med = 0;
        for (; med < 255; ++med) {
            cum += static_cast<std::size_t>(hist[med]);
            if (cum * 2 >= N) break;
        }
        cv::subtract(diff8, cv::Scalar::all(3.0 * med + 4.0), energy8);   // saturates at 0
    }

    // v3 block [170,196) from eacc.
    void describe_difference(double dt) {
        const int W = eacc.cols, H = eacc.rows;
        const double N = static_cast<double>(W) * H;
        const double norm = 1.0 / (255.0 * std::max(1, substeps));
        std::array<double, kGrid * kGrid> grid{};
        std::array<int, kGrid * kGrid> cnt{};
        double s = 0, nz = 0, sx = 0, sy = 0, sxx = 0, syy = 0;
        for (int y = 0; y < H; ++y) {
            const float* e = eacc.ptr<float>(y);
            const int gy = y * kGrid / H;
            const double ny = (y + 0.5 - H / 2.0) / W;
            for (int x = 0; x < W; ++x) {
                const double v = e[x] * norm;
                const int c = gy * kGrid + x * kGrid / W;
                grid[static_cast<std::size_t>(c)] += v;
                ++cnt[static_cast<std::size_t>(c)];
                if (v <= 0.0) continue;
                const double nx = (x + 0.5 - W / 2.0) / W;
                s += v;
                nz += 1;
                sx += v * nx;
                sy += v * ny;
                sxx += v * nx * nx;
                syy += v * ny * ny;
            }
        }
        int o = kDiffBase;
        auto put = [&](double v) { desc[static_cast<std::size_t>(o++)] = static_cast<float>(v); };
        for (int c = 0; c < kGrid * kGrid; ++c) put(grid[static_cast<std::size_t>(c)] / std::max(1, cnt[static_cast<std::size_t>(c)]));
        put(s / N);
        put(nz / N);
        const bool strong = nz / N > kMinEnergyFrac && s > 0.0;
        const double cx = strong ? sx / s : 0.0, cy = strong ? sy / s : 0.0;
        put(cx);
        put(cy);
        put(strong ? std::sqrt(std::max(0.0, sxx / s - cx * cx)) : 0.0);
        put(strong ? std::sqrt(std::max(0.0, syy / s - cy * cy)) : 0.0);
        put(strong && have_ecentroid ? (cx - ecx) / dt : 0.0);
        put(strong && have_ecentroid ? (cy - ecy) / dt : 0.0);
        have_ecentroid = strong;
        ecx = cx;
        ecy = cy;
        const bool intra = have_first && have_last && lastsub_t > first_t;
        put(intra ? (last_cx - first_cx) / (lastsub_t - first_t) : 0.0);
        put(intra ? (last_cy - first_cy) / (lastsub_t - first_t) : 0.0);
        if (o != kDimV3) throw FeatureError("video features: internal layout error (v3)");
    }

    // v4 block [196,206): the dominant changing region of the token interval (in the training
    // clips: the hand). The region energy (the sub-steps' difference energy eacc plus the aligned
    // difference over the whole token interval) is smoothed (5x5 mean), thresholded and opened
    // (3x3), and its largest 8-connected component is the region. Isolated noise and texture
    // flicker do not survive, so the region's own scale change is measured instead of being
    // averaged with the whole frame: the flow relative to the background, projected on the
    // direction from the region's centroid, is > 0 when the region expands (push towards the
    // camera) and < 0 when it contracts (pull).
    void describe_region(double dt) {
        const int W = eacc.cols, H = eacc.rows;
        const double N = static_cast<double>(W) * H;
        // The sub-steps' energy misses slow edges (up to 1 px per sub-step); the difference over the
        // whole token interval (ref -> cur, aligned by the interval's background motion) sees them.
        const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, bg_x * W * dt, 0, 1, bg_y * W * dt);
        cv::warpAffine(ref, aligned, shift, ref.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
        aligned_difference();
        energy8.convertTo(eregion, CV_32F);
        eregion += eacc;
        cv::blur(eregion, eblur, cv::Size(5, 5), cv::Point(-1, -1), cv::BORDER_REPLICATE);
        cv::compare(eblur, kBlobThreshold, bmask, cv::CMP_GT);
        cv::morphologyEx(bmask, bmask_open, cv::MORPH_OPEN, bkernel);
        const int n = cv::connectedComponentsWithStats(bmask_open, blabels, bstats, bcentroids, 8, CV_32S);
        int best = 0, best_area = 0;
        for (int j = 1; j < n; ++j) {
            const int a = bstats.at<int>(j, cv::CC_STAT_AREA);
            if (a > best_area) {
                best_area = a;
                best = j;
            }
        }
        int o = kBlobBase;
        auto put = [&](double v) { desc[static_cast<std::size_t>(o++)] = static_cast<float>(v); };
        const bool found = best > 0 && best_area >= kBlobMinFrac * N;
        double area = 0, spread = 0, radial = 0, div = 0, curl = 0, gx = 0, gy = 0;
        if (found) {
            const double cx = bcentroids.at<double>(best, 0), cy = bcentroids.at<double>(best, 1);
            const double scale = 1.0 / dt;   // pixels per token interval -> pixels per second
            const double bpx = bg_x * W, bpy = bg_y * W;   // background flow, pixels per second
            double srr = 0, srad = 0, sxx = 0, syy = 0, sux = 0, svy = 0, svx = 0, suy = 0;
            for (int y = 0; y < H; ++y) {
                const int* l = blabels.ptr<int>(y);
                const auto* f = acc.ptr<cv::Vec2f>(y);
                const double ry = y - cy;
                for (int x = 0; x < W; ++x) {
                    if (l[x] != best) continue;
                    const double rx = x - cx;
                    const double u = f[x][0] * scale - bpx, v = f[x][1] * scale - bpy;
                    const double r2 = rx * rx + ry * ry;
                    srr += r2;
                    if (r2 > 0.25) srad += (u * rx + v * ry) / std::sqrt(r2);
                    sxx += rx * rx;
                    syy += ry * ry;
                    sux += u * rx;
                    svy += v * ry;
                    svx += v * rx;
                    suy += u * ry;
                }
            }
            area = best_area / N;
            spread = std::sqrt(srr / best_area) / W;
            radial = srad / best_area / W;                          // widths per second
            // Least-squares affine fit around the centroid, diagonal moments (the cross terms are
            // small for compact regions): du/dx = sux/sxx, dv/dy = svy/syy.
            const double ex = std::max(sxx, 1.0), ey = std::max(syy, 1.0);
            div = std::clamp(sux / ex + svy / ey, -kBlobMaxDiv, kBlobMaxDiv);
            curl = std::clamp(svx / ex - suy / ey, -kBlobMaxDiv, kBlobMaxDiv);
            gx = (cx + 0.5 - W / 2.0) / W;
            gy = (cy + 0.5 - H / 2.0) / W;
        }
        put(area);
        put(spread);
        put(radial);
        put(div);
        put(curl);
        put(gx);
        put(gy);
        const double dlog = found && have_blob ? std::log((spread + 1e-3) / (blob_spread + 1e-3)) / dt : 0.0;
        put(dlog);
        have_blob = found;
        current[7] = found ? 1.0f : 0.0f;
        current[8] = static_cast<float>(area);
        current[9] = static_cast<float>(std::abs(radial));
        current[10] = static_cast<float>(std::abs(dlog));
        blob_spread = spread;
        current[5] = static_cast<float>(radial);
        current[6] = static_cast<float>(div);
        // [204,206) means over the last kOscTokens tokens are written by write_history()
    }

    // Writes the history and oscillation blocks from `history` and `current`, then records `current`.
    void write_history() {
        int o = kDimV1 - 3 * kHistory - 4;
        for (int k = 0; k < kHistory; ++k)
            for (int j = 0; j < 3; ++j)
                desc[static_cast<std::size_t>(o + 3 * k + j)] =
                    static_cast<std::size_t>(k) < history.size() ? history[static_cast<std::size_t>(k)][static_cast<std::size_t>(j)] : 0.0f;
        {
            for (int k = 0; k < kHistory; ++k)
                for (int j = 0; j < 2; ++j)
                    desc[static_cast<std::size_t>(kResHistBase + 2 * k + j)] =
                        static_cast<std::size_t>(k) < history.size() ? history[static_cast<std::size_t>(k)][static_cast<std::size_t>(3 + j)] : 0.0f;
        }
        history.push_front(current);
        if (history.size() > static_cast<std::size_t>(kOscTokens)) history.pop_back();
        // Oscillation of (global vx, vy) into [84,88) and of (residual wx, wy) into [166,170).
        for (int which = 0; which < 2; ++which) {
            const int base = which == 0 ? 0 : 3;
            const int out = which == 0 ? kDimV1 - 4 : kResHistBase + 2 * kHistory;
            double s[2] = {0, 0}, s2[2] = {0, 0};
            int flips[2] = {0, 0}, last_sign[2] = {0, 0};
            for (auto it = history.rbegin(); it != history.rend(); ++it) {
                for (int j = 0; j < 2; ++j) {
                    const double v = (*it)[static_cast<std::size_t>(base + j)];
                    s[j] += v;
                    s2[j] += v * v;
                    const int sg = v > kOscThreshold ? 1 : (v < -kOscThreshold ? -1 : 0);
                    if (sg != 0) {
                        if (last_sign[j] != 0 && sg != last_sign[j]) ++flips[j];
                        last_sign[j] = sg;
                    }
                }
            }
            const double n = static_cast<double>(history.size());
            for (int j = 0; j < 2; ++j) {
                const double m = s[j] / n;
                desc[static_cast<std::size_t>(out + j)] = static_cast<float>(std::sqrt(std::max(0.0, s2[j] / n - m * m)));
                desc[static_cast<std::size_t>(out + 2 + j)] = static_cast<float>(flips[j]) / (kOscTokens - 1);
            }
        }
        if (version >= 4) {   // [204,206): mean region radial speed and divergence over the last kOscTokens tokens
            double sr = 0, sd = 0;
            for (const auto& h : history) {
                sr += h[5];
                sd += h[6];
            }
            const double n = static_cast<double>(history.size());
            desc[static_cast<std::size_t>(kDimV4 - 2)] = static_cast<float>(sr / n);
            desc[static_cast<std::size_t>(kDimV4 - 1)] = static_cast<float>(sd / n);
        }
        if (version >= 5) {
            // [206,210): statistics a 1-block transformer cannot form itself (its attention only
            // averages linear projections of the tokens): over the last kOscTokens tokens, the
            // fraction with a region, the std of the region area, mean |radial speed|, mean
            // |d log spread / dt|. A resting hand: a steady region; push/pull: a region that
            // appears, changes size and vanishes.
            double np = 0, sa = 0, sa2 = 0, sr = 0, sl = 0;
            for (const auto& h : history) {
                np += h[7];
                sa += h[8];
                sa2 += static_cast<double>(h[8]) * h[8];
                sr += h[9];
                sl += h[10];
            }
            const double n = static_cast<double>(history.size());
            const double ma = sa / n;
            desc[static_cast<std::size_t>(kDimV4)] = static_cast<float>(np / n);
            desc[static_cast<std::size_t>(kDimV4 + 1)] = static_cast<float>(std::sqrt(std::max(0.0, sa2 / n - ma * ma)));
            desc[static_cast<std::size_t>(kDimV4 + 2)] = static_cast<float>(sr / n);
            desc[static_cast<std::size_t>(kDimV4 + 3)] = static_cast<float>(sl / n);
        }
    }

    // Dense flow between two working-size frames (pixels). DIS with the ultrafast preset's
    // iterations but patch 4 / stride 2 and finest scale 1 (half resolution): its automatic
    // pyramid then reaches 1/8 scale, so fast swipes (up to ~3 frame widths/s at 30 fps sub-steps)
    // are recovered, and the small patches keep a hand of ~1/8 of the frame width distinct from a
    // shaking background (the ultrafast default, patch 8 at quarter resolution, blends the two).
    void compute_flow(const cv::Mat& from, const cv::Mat& to) {
        if (p.flow_method == "farneback") {
            cv::calcOpticalFlowFarneback(from, to, flow, 0.5, 4, 15, 3, 5, 1.2, 0);
            return;
        }
        flow.create(from.size(), CV_32FC2);
        flow.setTo(cv::Scalar::all(0));   // deterministic start (DIS uses a same-size flow as its initial guess)
        dis->calc(from, to, flow);
    }

    void push(const cv::Mat& frame, double t, const std::function<void(const Token&)>& on_token) {
        if (pose) {
            pose->push(frame, t, on_token);
            return;
        }
        if (!std::isfinite(t)) throw FeatureError("video features: frame timestamp is not finite");
        to_work(frame);
        if (have_ref) {
            const double dt_frame = t - last_t;
            if (dt_frame > 0) frame_dt_ema = frame_dt_ema <= 0 ? dt_frame : 0.9 * frame_dt_ema + 0.1 * dt_frame;
        }
        const double max_gap = std::max(2.0, 3.0 * period);
        if (!have_ref || t < last_t || t - ref_t > max_gap) {
            // (Re)start: this frame is the motion reference; the first token is due one period later.
            cur.copyTo(ref);
            cur.copyTo(prev);
            acc.create(cur.size(), CV_32FC2);
            acc.setTo(cv::Scalar::all(0));
            eacc.create(cur.size(), CV_32F);
            eacc.setTo(cv::Scalar::all(0));
            substeps = 0;
            have_first = have_last = false;
            have_ecentroid = false;
            ref_t = prev_t = t;
            last_t = t;
            next_due = t + period;
            have_ref = true;
            history.clear();
            have_centroid = false;
            have_blob = false;
            return;
        }
        last_t = t;
        const double tol = std::min(0.5 * frame_dt_ema, 0.5 * period) + 1e-9;
        const bool due = t + tol >= next_due;
        // Flow is accumulated over sub-steps of at least 1/kMaxFlowHz s between token frames, so a
        // fast swipe moves at most a few percent of the width per step (the flow stays accurate)
        // while the cost stays bounded whatever the camera frame rate.
        if (!backbone && t > prev_t && (due || t - prev_t >= 0.75 / kMaxFlowHz)) {
            compute_flow(prev, cur);
            acc += flow;
            accumulate_difference(t);
            cur.copyTo(prev);
            prev_t = t;
        }
        if (!due) return;
        const int n = static_cast<int>(std::floor((t + tol - next_due) / period)) + 1;
        const double dt = std::max(t - ref_t, 1e-3);
        if (!backbone) {
            describe(dt);
            acc.setTo(cv::Scalar::all(0));
            eacc.setTo(cv::Scalar::all(0));
            substeps = 0;
            have_first = have_last = false;
        } else {
            backbone->run_frame(frame, tok.values);
        }
        for (int k = 0; k < n; ++k) {
            if (!backbone) {
                if (k > 0) write_history();
                std::copy(desc.begin(), desc.begin() + dimension, tok.values.begin());
            }
            tok.time_s = next_due;
            next_due += period;
            on_token(tok);
        }
        cur.copyTo(ref);
        ref_t = t;
    }
};

VideoFeatures::VideoFeatures(VideoFeatureParams params) {
    opencv_threads_for_sanitizers();
    m_impl = std::make_unique<Impl>(std::move(params));
}
VideoFeatures::~VideoFeatures() = default;
const char* VideoFeatures::id() { return "video-motion-v3"; }
int VideoFeatures::dim() const { return m_impl->dimension; }
std::string VideoFeatures::feature_id() const {
    if (m_impl->backbone) return "onnx:" + m_impl->backbone->manifest().name;
    switch (m_impl->version) {
    case 0: return PoseTokenizer::id(m_impl->pose_version);
    case 1: return "video-motion-v1";
    case 2: return "video-motion-v2";
    case 3: return "video-motion-v3";
    case 4: return "video-motion-v4";
    default: return "video-motion-v5";
    }
}
bool VideoFeatures::push(const cv::Mat& frame, double t_s, Token& out) {
    bool any = false;
    m_impl->push(frame, t_s, [&](const Token& t) {
        out = t;
        any = true;
    });
    return any;
}
void VideoFeatures::push(const cv::Mat& frame, double t_s, const std::function<void(const Token&)>& on_token) {
    m_impl->push(frame, t_s, on_token);
}
void VideoFeatures::reset() { m_impl->reset(); }
std::optional<PoseFrame> VideoFeatures::latest_pose(double* frame_time_s) const {
    return m_impl->pose ? m_impl->pose->latest(frame_time_s) : std::nullopt;
}
bool VideoFeatures::uses_pose() const { return m_impl->pose != nullptr; }
std::optional<HandFrames> VideoFeatures::latest_hands(double* frame_time_s) const {
    return m_impl->pose ? m_impl->pose->latest_hands(frame_time_s) : std::nullopt;
}
bool VideoFeatures::uses_hands() const { return m_impl->pose && m_impl->pose->uses_hands(); }

}  // namespace colive
