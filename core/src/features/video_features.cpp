// SPDX-License-Identifier: MIT
// VideoFeatures: any frame -> grey working-size image -> dense optical flow (OpenCV DIS) between
// the frames at consecutive token times -> motion descriptor token at a fixed token rate.
// The token layout is documented in colive/features.h (video-motion-v1).
#include "colive/backbone.h"
#include "colive/features.h"

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
constexpr int kDim = kGrid * kGrid * 3 + kBins + 13 + 3 + 3 * kHistory + 4;
static_assert(kDim == 88);
constexpr double kMovingThreshold = 0.05;   // frame widths per second
constexpr double kOscThreshold = 0.02;      // |global vx| below this does not count as a sign
constexpr double kMaxFlowHz = 30.0;         // flow sub-steps per second at most
}  // namespace

struct VideoFeatures::Impl {
    VideoFeatureParams p;
    double period = 0.1;
    cv::Ptr<cv::DISOpticalFlow> dis, dis_coarse;
    std::array<cv::Mat, 4> pyr_a, pyr_b, pyr_flow;
    cv::Mat grey8, conv, cur, ref, prev, flow, acc;
    bool have_ref = false;
    double ref_t = 0.0, prev_t = 0.0, next_due = 0.0, last_t = 0.0, frame_dt_ema = 0.0;
    cv::Size work_size;
    std::deque<std::array<float, 3>> history;   // global vx, vy, div of past tokens (newest first)
    std::vector<float> desc;
    Token tok;
    std::optional<OnnxBackbone> backbone;
    int dimension = kDim;

    explicit Impl(VideoFeatureParams params) : p(std::move(params)) {
        if (!(p.token_rate_hz >= 0.5 && p.token_rate_hz <= 120.0))
            throw FeatureError("video features: token_rate_hz must be in [0.5, 120], got " + std::to_string(p.token_rate_hz));
        if (p.work_width < 32 || p.work_width > 1024)
            throw FeatureError("video features: work_width must be in [32, 1024], got " + std::to_string(p.work_width));
        period = 1.0 / p.token_rate_hz;
        if (!p.flow_method.empty() && p.flow_method != "dis" && p.flow_method != "farneback")
            throw FeatureError("video features: flow_method must be \"dis\" or \"farneback\", got \"" + p.flow_method + "\"");
        dis = cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_ULTRAFAST);
        dis_coarse = cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_ULTRAFAST);
        dis_coarse->setFinestScale(0);
        dis_coarse->setPatchSize(8);
        dis_coarse->setPatchStride(4);
        if (!p.backbone_manifest.empty()) {
            backbone.emplace(OnnxBackbone::load(p.backbone_manifest));
            if (backbone->manifest().input_kind != "frame")
                throw FeatureError("video features: backbone '" + backbone->manifest().name + "' takes input_kind '" +
                                   backbone->manifest().input_kind + "', expected 'frame'");
            dimension = backbone->dim();
        }
        desc.resize(kDim);
        tok.values.resize(static_cast<std::size_t>(dimension));
    }

    void reset() {
        have_ref = false;
        history.clear();
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
        history_block(o, static_cast<float>(mx), static_cast<float>(my), static_cast<float>(div));
    }

    // Writes the history and oscillation blocks starting at o, then records this token.
    void history_block(int o, float vx, float vy, float div) {
        for (int k = 0; k < kHistory; ++k) {
            if (static_cast<std::size_t>(k) < history.size()) {
                for (int j = 0; j < 3; ++j) desc[static_cast<std::size_t>(o + 3 * k + j)] = history[static_cast<std::size_t>(k)][static_cast<std::size_t>(j)];
            }
        }
        o += 3 * kHistory;
        history.push_front({vx, vy, div});
        if (history.size() > static_cast<std::size_t>(kOscTokens)) history.pop_back();
        double s[2] = {0, 0}, s2[2] = {0, 0};
        int flips[2] = {0, 0}, last_sign[2] = {0, 0};
        for (auto it = history.rbegin(); it != history.rend(); ++it) {
            for (int j = 0; j < 2; ++j) {
                const double v = (*it)[static_cast<std::size_t>(j)];
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
            desc[static_cast<std::size_t>(o + j)] = static_cast<float>(std::sqrt(std::max(0.0, s2[j] / n - m * m)));
            desc[static_cast<std::size_t>(o + 2 + j)] = static_cast<float>(flips[j]) / (kOscTokens - 1);
        }
        o += 4;
        if (o != kDim) throw FeatureError("video features: internal layout error");
    }

    // Dense flow ref -> cur. DIS on its own (ultrafast preset) only recovers displacements of a few
    // pixels at 160 px width (its automatic pyramid stops at 1/4 scale), but hand swipes move
    // 20-30 % of the frame width between token frames. So we run an explicit coarse-to-fine pyramid
    // (1/4, 1/2, 1/1 scale), each DIS level starting from the upsampled flow of the level below:
    // measured on shifted textures, displacements up to ~20 % of the width are recovered within 2 %.
    void compute_flow(const cv::Mat& from, const cv::Mat& to) {
        if (p.flow_method == "farneback") {
            cv::calcOpticalFlowFarneback(from, to, flow, 0.5, 4, 15, 3, 5, 1.2, 0);
            return;
        }
        constexpr int kLevels = 3;
        for (int L = kLevels; L >= 0; --L) {
            const cv::Size sz(std::max(8, from.cols >> L), std::max(8, from.rows >> L));
            cv::Mat& a = pyr_a[static_cast<std::size_t>(L)];
            cv::Mat& b = pyr_b[static_cast<std::size_t>(L)];
            if (L == 0) {
                a = from;
                b = to;
            } else {
                cv::resize(from, a, sz, 0, 0, cv::INTER_AREA);
                cv::resize(to, b, sz, 0, 0, cv::INTER_AREA);
            }
            cv::Mat& f = L == 0 ? flow : pyr_flow[static_cast<std::size_t>(L)];
            if (L == kLevels) {
                f.create(sz, CV_32FC2);
                f.setTo(cv::Scalar::all(0));              // deterministic start (DIS uses f as its initial flow)
            } else {
                const cv::Mat& below = pyr_flow[static_cast<std::size_t>(L + 1)];
                cv::resize(below, f, sz, 0, 0, cv::INTER_LINEAR);
                f *= static_cast<double>(sz.width) / below.cols;
            }
            (L == 0 ? dis : dis_coarse)->calc(a, b, f);
        }
    }

    void push(const cv::Mat& frame, double t, const std::function<void(const Token&)>& on_token) {
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
            ref_t = prev_t = t;
            last_t = t;
            next_due = t + period;
            have_ref = true;
            history.clear();
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
            cur.copyTo(prev);
            prev_t = t;
        }
        if (!due) return;
        const int n = static_cast<int>(std::floor((t + tol - next_due) / period)) + 1;
        const double dt = std::max(t - ref_t, 1e-3);
        if (!backbone) {
            describe(dt);
            acc.setTo(cv::Scalar::all(0));
        } else {
            backbone->run_frame(frame, tok.values);
        }
        for (int k = 0; k < n; ++k) {
            if (!backbone) {
                if (k > 0) history_block(kDim - 4 - 3 * kHistory, desc[56], desc[57], desc[61]);
                std::copy(desc.begin(), desc.end(), tok.values.begin());
            }
            tok.time_s = next_due;
            next_due += period;
            on_token(tok);
        }
        cur.copyTo(ref);
        ref_t = t;
    }
};

VideoFeatures::VideoFeatures(VideoFeatureParams params) : m_impl(std::make_unique<Impl>(std::move(params))) {}
VideoFeatures::~VideoFeatures() = default;
const char* VideoFeatures::id() { return "video-motion-v1"; }
int VideoFeatures::dim() const { return m_impl->dimension; }
std::string VideoFeatures::feature_id() const {
    return m_impl->backbone ? "onnx:" + m_impl->backbone->manifest().name : std::string(id());
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

}  // namespace colive
