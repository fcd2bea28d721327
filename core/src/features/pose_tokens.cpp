// SPDX-License-Identifier: MIT
// pose-kp-v1 / -v2 / -v3 tokens from body keypoints (and, for v3, hand observations); the layouts are
// documented in colive/pose_tokens.h.
#include "colive/pose_tokens.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace colive {

namespace {

constexpr int kUsed = 13;                  // keypoints 0..12
constexpr int kHist = 10;                  // tokens in the short history (1 s at 10 Hz)
constexpr int kBack = 5;                   // displacement lag (0.5 s at 10 Hz)
constexpr double kScaleTau = 0.5, kCentreTau = 0.15, kLogClamp = 0.25, kStale = 2.0, kFlipDead = 0.5;
constexpr int kVelJoints[5] = {0, 7, 8, 9, 10};
constexpr int kShoulder[2] = {5, 6}, kElbow[2] = {7, 8}, kWrist[2] = {9, 10};

struct Vec {
    double u = 0, v = 0;
};
double norm(Vec a) { return std::sqrt(a.u * a.u + a.v * a.v); }
Vec sub(Vec a, Vec b) { return {a.u - b.u, a.v - b.v}; }

// What the frames of one token interval saw.
struct Slot {
    int frames = 0, usable = 0;
    std::array<int, kUsed> vis{};
    std::array<double, kUsed> su{}, sv{}, sscore{};
    double ratio_sum = 0;
    int ratio_n = 0;
    int hand_looked[2] = {0, 0}, hand_seen[2] = {0, 0};   // pose-kp-v3: hand observations per arm
    double hand_size[2] = {0, 0};                          // sum of size / S over the seen ones
};

// Per token, what the history features need.
struct Entry {
    bool present = false;
    std::array<bool, kUsed> vis{};
    std::array<Vec, kUsed> pos{};
    bool wvel_ok[2] = {false, false};
    Vec wvel[2];
    bool fl_ok[2] = {false, false};
    double fl[2] = {0, 0};
    bool flr_ok[2] = {false, false};   // d(forearm length)/dt since the previous token
    double flr[2] = {0, 0};
    bool wd_ok = false, wd_rate_ok = false;
    double wd = 0, wd_rate = 0;
    bool scale_ok = false;
    double ls = 0;
};

// pose-kp-v2: robust positions and rest positions of the wrists and elbows, 15 tokens of history.
constexpr int kHist2 = 15, kRestStale = 40, kTogetherN = 10;
constexpr double kRestTau = 4.0, kAway = 0.3, kTogether = 0.2;
constexpr int kRestJoints[4] = {9, 7, 10, 8};   // left wrist, left elbow, right wrist, right elbow

struct RestEntry {
    bool present = false;
    bool r_ok[4] = {false, false, false, false};
    Vec r[4];
    bool wvis[2] = {false, false};
    bool together = false;
};

struct RestState {
    bool have[4] = {false, false, false, false};
    Vec rest[4];
    int miss[4] = {0, 0, 0, 0};
    std::array<RestEntry, kHist2> ring{};
    int head = 0, n = 0;
    const RestEntry& at(int i) const { return ring[static_cast<std::size_t>((head - i + kHist2) % kHist2)]; }
};

// pose-kp-v3: what the hand landmark network saw per arm, 15 tokens of history.
constexpr int kHandHist = 15, kHandRecent = 10;
struct HandEntry {
    bool looked[2] = {false, false}, seen[2] = {false, false};
    double size[2] = {0, 0};
};
struct HandState {
    std::array<HandEntry, kHandHist> ring{};
    int head = 0, n = 0;
    const HandEntry& at(int i) const { return ring[static_cast<std::size_t>((head - i + kHandHist) % kHandHist)]; }
};

double median3(double* v, int n) {   // n = 2 or 3
    if (n == 2) return 0.5 * (v[0] + v[1]);
    std::sort(v, v + 3);
    return v[1];
}

int flips(const std::array<const Entry*, kHist>& h, int n, auto value) {
    int count = 0, last = 0;
    for (int i = n - 1; i >= 0; --i) {     // oldest first
        double x = 0;
        if (!value(*h[i], x) || std::abs(x) <= kFlipDead) continue;
        const int s = x > 0 ? 1 : -1;
        if (last != 0 && s != last) ++count;
        last = s;
    }
    return count;
}

}  // namespace

struct PoseTokenizer::Impl {
    PoseTokenParams p;
    double period = 0.1;
    bool started = false;
    double t0 = 0, t_last = 0;
    long open = 1;
    Slot slot, prev_slot;
    bool have_prev_slot = false;
    // person frame
    bool scale_init = false, centre_init = false;
    double ls = 0, t_scale = 0, cx = 0, cy = 0, t_centre = 0;
    bool ever_usable = false;
    double t_usable = 0;
    // history ring: hist[0] = newest
    std::array<Entry, kHist> ring{};
    int ring_head = 0, ring_n = 0;
    RestState rs;
    HandState hs;
    Token tok;

    void reset() {
        started = false;
        open = 1;
        slot = Slot{};
        prev_slot = Slot{};
        have_prev_slot = false;
        scale_init = centre_init = false;
        ever_usable = false;
        ring_n = 0;
        ring_head = 0;
        rs = RestState{};
        hs = HandState{};
    }

    void add(const PoseFrame& f, const HandObservation* hands, double t) {
        ++slot.frames;
        if (!f.present) return;
        auto vis = [&](int j) {
            const auto& k = f.kp[static_cast<std::size_t>(j)];
            return k.score >= p.score_threshold && std::isfinite(k.x) && std::isfinite(k.y);
        };
        const auto& k5 = f.kp[5];
        const auto& k6 = f.kp[6];
        double sw = 0;
        if (vis(5) && vis(6)) {
            sw = std::hypot(static_cast<double>(k5.x) - k6.x, static_cast<double>(k5.y) - k6.y);
            if (sw > 0) {
                const double raw = std::log(sw);
                if (!scale_init || t - t_scale > kStale) {
                    ls = raw;
                    scale_init = true;
                } else {
                    const double a = 1.0 - std::exp(-(t - t_scale) / kScaleTau);
                    ls += a * (std::clamp(raw, ls - kLogClamp, ls + kLogClamp) - ls);
                }
                t_scale = t;
            }
        }
        if (!scale_init) return;
        const double S = std::exp(ls);
        bool cand = true;
        double qx = 0, qy = 0;
        if (vis(5) && vis(6)) {
            qx = 0.5 * (static_cast<double>(k5.x) + k6.x);
            qy = 0.5 * (static_cast<double>(k5.y) + k6.y);
        } else if (vis(5)) {
            qx = k5.x - 0.5 * S;
            qy = k5.y;
        } else if (vis(6)) {
            qx = k6.x + 0.5 * S;
            qy = k6.y;
        } else {
            cand = false;
        }
        if (cand) {
            if (!centre_init || t - t_centre > kStale) {
                cx = qx;
                cy = qy;
                centre_init = true;
            } else {
                const double a = 1.0 - std::exp(-(t - t_centre) / kCentreTau);
                cx += a * (qx - cx);
                cy += a * (qy - cy);
            }
            t_centre = t;
        }
        if (!centre_init) return;
        ++slot.usable;
        ever_usable = true;
        t_usable = t;
        for (int j = 0; j < kUsed; ++j) {
            const auto& k = f.kp[static_cast<std::size_t>(j)];
            slot.sscore[static_cast<std::size_t>(j)] += k.score;
            if (!vis(j)) continue;
            ++slot.vis[static_cast<std::size_t>(j)];
            slot.su[static_cast<std::size_t>(j)] += (k.x - cx) / S;
            slot.sv[static_cast<std::size_t>(j)] += -(k.y - cy) / S;
        }
        if (sw > 0) {
            slot.ratio_sum += sw / S;
            ++slot.ratio_n;
        }
        if (hands)
            for (int h = 0; h < 2; ++h) {
                const HandObservation& o = hands[h];
                if (!o.looked) continue;
                ++slot.hand_looked[h];
                if (o.present && std::isfinite(o.size_px)) {
                    ++slot.hand_seen[h];
                    slot.hand_size[h] += o.size_px / S;
                }
            }
    }

    const Entry& hist(int i) const {  // i tokens back (0 = newest)
        return ring[static_cast<std::size_t>((ring_head - i + kHist) % kHist)];
    }

    void emit(long k, const std::function<void(const Token&)>& on_token) {
        Slot s = slot;
        if (s.frames == 0 && have_prev_slot) s = prev_slot;   // no frame in this interval: repeat
        prev_slot = s;
        have_prev_slot = true;
        slot = Slot{};
        const double t_tok = t0 + static_cast<double>(k) * period;

        const bool have_prev = ring_n > 0;
        const Entry prev = have_prev ? hist(0) : Entry{};
        Entry e;
        e.present = s.usable > 0;
        if (e.present) {
            for (int j = 0; j < kUsed; ++j) {
                const auto jj = static_cast<std::size_t>(j);
                e.vis[jj] = s.vis[jj] > 0;
                if (e.vis[jj]) e.pos[jj] = {s.su[jj] / s.vis[jj], s.sv[jj] / s.vis[jj]};
            }
        }
        auto V = [&](int j) { return e.vis[static_cast<std::size_t>(j)]; };
        auto P = [&](int j) { return e.pos[static_cast<std::size_t>(j)]; };
        auto velocity = [&](int j, Vec& out) {
            const auto jj = static_cast<std::size_t>(j);
            if (!e.vis[jj] || !prev.present || !prev.vis[jj]) return false;
            out = {(e.pos[jj].u - prev.pos[jj].u) / period, (e.pos[jj].v - prev.pos[jj].v) / period};
            return true;
        };
        for (int h = 0; h < 2; ++h) {
            e.wvel_ok[h] = velocity(kWrist[h], e.wvel[h]);
            e.fl_ok[h] = V(kWrist[h]) && V(kElbow[h]);
            if (e.fl_ok[h]) e.fl[h] = norm(sub(P(kWrist[h]), P(kElbow[h])));
            e.flr_ok[h] = e.fl_ok[h] && prev.present && prev.fl_ok[h];
            if (e.flr_ok[h]) e.flr[h] = (e.fl[h] - prev.fl[h]) / period;
        }
        e.wd_ok = V(9) && V(10);
        if (e.wd_ok) e.wd = norm(sub(P(9), P(10)));
        e.wd_rate_ok = e.wd_ok && prev.present && prev.wd_ok;
        if (e.wd_rate_ok) e.wd_rate = (e.wd - prev.wd) / period;
        e.scale_ok = scale_init;
        e.ls = ls;
        ring_head = (ring_head + 1) % kHist;
        ring[static_cast<std::size_t>(ring_head)] = e;
        ring_n = std::min(ring_n + 1, kHist);
        std::array<const Entry*, kHist> H{};
        for (int i = 0; i < ring_n; ++i) H[static_cast<std::size_t>(i)] = &hist(i);
        const Entry* back = ring_n > kBack ? &hist(kBack) : nullptr;

        auto& x = tok.values;
        std::fill(x.begin(), x.end(), 0.0f);
        tok.time_s = t_tok;
        auto put = [&](int i, double val) { x[static_cast<std::size_t>(i)] = static_cast<float>(val); };
        if (e.present) {
            for (int j = 0; j < kUsed; ++j) {
                const auto jj = static_cast<std::size_t>(j);
                put(4 * j, e.pos[jj].u);
                put(4 * j + 1, e.pos[jj].v);
                put(4 * j + 2, static_cast<double>(s.vis[jj]) / s.frames);
                put(4 * j + 3, s.sscore[jj] / s.usable);
            }
            for (int i = 0; i < 5; ++i) {
                Vec vel;
                if (velocity(kVelJoints[i], vel)) {
                    put(52 + 2 * i, vel.u);
                    put(53 + 2 * i, vel.v);
                }
            }
            double path[2] = {0, 0};
            double hist_feat[2][9] = {};
            for (int h = 0; h < 2; ++h) {
                const int o = 62 + 10 * h;
                const int sj = kShoulder[h], ej = kElbow[h], wj = kWrist[h];
                if (V(wj) && V(sj)) {
                    put(o, P(wj).u - P(sj).u);
                    put(o + 1, P(wj).v - P(sj).v);
                }
                if (e.fl_ok[h]) {
                    put(o + 2, P(wj).u - P(ej).u);
                    put(o + 3, P(wj).v - P(ej).v);
                    put(o + 4, e.fl[h]);
                    if (e.flr_ok[h]) put(o + 7, e.flr[h]);
                }
                if (V(ej) && V(sj)) put(o + 5, norm(sub(P(ej), P(sj))));
                if (V(sj) && V(ej) && V(wj)) {
                    const Vec a = sub(P(sj), P(ej)), b = sub(P(wj), P(ej));
                    const double na = norm(a), nb = norm(b);
                    if (na > 1e-3 && nb > 1e-3) put(o + 6, (a.u * b.u + a.v * b.v) / (na * nb));
                }
                if (V(wj) && V(0)) {
                    put(o + 8, P(wj).u - P(0).u);
                    put(o + 9, P(wj).v - P(0).v);
                }
                // history
                double* hf = hist_feat[h];
                hf[0] = flips(H, ring_n, [h](const Entry& q, double& out) {
                            out = q.wvel[h].u;
                            return q.wvel_ok[h];
                        }) / 9.0;
                hf[1] = flips(H, ring_n, [h](const Entry& q, double& out) {
                            out = q.wvel[h].v;
                            return q.wvel_ok[h];
                        }) / 9.0;
                double n = 0, mu = 0, mv = 0, qu = 0, qv = 0, pl = 0, mx = 0;
                for (int i = 0; i < ring_n; ++i) {
                    const Entry& q = *H[static_cast<std::size_t>(i)];
                    if (q.present && q.vis[static_cast<std::size_t>(wj)]) {
                        const Vec w = q.pos[static_cast<std::size_t>(wj)];
                        n += 1;
                        mu += w.u;
                        mv += w.v;
                        qu += w.u * w.u;
                        qv += w.v * w.v;
                    }
                    if (q.wvel_ok[h]) {
                        const double sp = norm(q.wvel[h]);
                        pl += sp * period;
                        mx = std::max(mx, sp);
                    }
                }
                if (n >= 2) {
                    mu /= n;
                    mv /= n;
                    hf[2] = std::sqrt(std::max(0.0, qu / n - mu * mu));
                    hf[3] = std::sqrt(std::max(0.0, qv / n - mv * mv));
                }
                if (back && V(wj) && back->present && back->vis[static_cast<std::size_t>(wj)]) {
                    hf[4] = P(wj).u - back->pos[static_cast<std::size_t>(wj)].u;
                    hf[5] = P(wj).v - back->pos[static_cast<std::size_t>(wj)].v;
                }
                hf[6] = pl;
                hf[7] = mx;
                if (back && e.fl_ok[h] && back->present && back->fl_ok[h]) hf[8] = e.fl[h] - back->fl[h];
                path[h] = pl;
                for (int i = 0; i < 9; ++i) put(82 + 9 * h + i, hf[i]);
            }
            const int a = path[0] > path[1] ? 0 : 1;
            if (e.wvel_ok[a]) {
                put(100, e.wvel[a].u);
                put(101, e.wvel[a].v);
            }
            put(102, hist_feat[a][4]);
            put(103, hist_feat[a][5]);
            put(104, hist_feat[a][0]);
            put(105, hist_feat[a][1]);
            put(106, hist_feat[a][6]);
            if (e.fl_ok[a]) put(107, e.fl[a]);
            put(108, hist_feat[a][8]);
            if (V(kWrist[a]) && V(kShoulder[a])) put(109, P(kWrist[a]).v - P(kShoulder[a]).v);
            put(110, hist_feat[1 - a][6]);
            if (e.wd_ok) {
                put(111, e.wd);
                if (back && back->present && back->wd_ok) put(112, e.wd - back->wd);
            }
            put(113, flips(H, ring_n, [](const Entry& q, double& out) {
                          out = q.wd_rate;
                          return q.wd_rate_ok;
                      }) / 9.0);
            // the fastest movement of each wrist and the largest forearm-length change in the last 10 tokens
            for (int k = 0; k < 2; ++k) {
                const int h = k == 0 ? a : 1 - a;
                const int o = k == 0 ? 120 : 124;
                double best = -1, best_fr = 0;
                int best_i = 0, seen = 0;
                Vec bv;
                for (int i = 0; i < ring_n; ++i) {   // newest first: ties keep the newest
                    const Entry& q = *H[static_cast<std::size_t>(i)];
                    if (q.present && q.vis[static_cast<std::size_t>(kWrist[h])]) ++seen;
                    if (q.wvel_ok[h] && norm(q.wvel[h]) > best) {
                        best = norm(q.wvel[h]);
                        bv = q.wvel[h];
                        best_i = i;
                    }
                    if (q.flr_ok[h] && std::abs(q.flr[h]) > std::abs(best_fr)) best_fr = q.flr[h];
                }
                if (best >= 0) {
                    put(o, bv.u);
                    put(o + 1, bv.v);
                }
                put(o + 2 + (k == 0 ? 1 : 0), best_fr);
                if (k == 0) {
                    if (best >= 0) put(122, best_i / 9.0);
                    put(127, seen / static_cast<double>(kHist));
                }
            }
        }
        put(114, e.present ? 0.0 : 1.0);
        put(115, s.frames > 0 ? static_cast<double>(s.usable) / s.frames : 0.0);
        if (s.frames > 0) {
            double m = 0;
            for (int j = 0; j <= 10; ++j) m += static_cast<double>(s.vis[static_cast<std::size_t>(j)]) / s.frames;
            put(116, m / 11.0);
        }
        if (have_prev && prev.scale_ok && e.scale_ok) put(117, (e.ls - prev.ls) / period);
        if (s.ratio_n > 0) put(118, s.ratio_sum / s.ratio_n);
        put(119, ever_usable ? std::min(2.0, std::max(0.0, t_tok - t_usable)) / 2.0 : 1.0);
        rest_block(e);
        hand_block(e, s);
        on_token(tok);
    }

    // pose-kp-v2: updates the rest positions with the newest token (already in the v1 ring) and
    // writes [128, 190).
    void rest_block(const Entry& e) {
        if (p.version < 2) return;   // pose-kp-v1 has no rest block
        RestEntry re;
        re.present = e.present;
        const double A = 1.0 - std::exp(-period / kRestTau);
        for (int q = 0; q < 4; ++q) {
            const auto j = static_cast<std::size_t>(kRestJoints[q]);
            double us[3], vs[3];
            int m = 0;
            for (int i = 0; i < std::min(3, ring_n); ++i) {
                const Entry& h = hist(i);
                if (h.present && h.vis[j]) {
                    us[m] = h.pos[j].u;
                    vs[m] = h.pos[j].v;
                    ++m;
                }
            }
            if (m >= 2) {
                re.r_ok[q] = true;
                re.r[q] = {median3(us, m), median3(vs, m)};
                if (!rs.have[q]) {
                    rs.rest[q] = re.r[q];
                    rs.have[q] = true;
                } else {
                    rs.rest[q].u += A * (re.r[q].u - rs.rest[q].u);
                    rs.rest[q].v += A * (re.r[q].v - rs.rest[q].v);
                }
                rs.miss[q] = 0;
            } else if (++rs.miss[q] >= kRestStale) {
                rs.have[q] = false;
            }
        }
        for (int h = 0; h < 2; ++h) re.wvis[h] = e.present && e.vis[static_cast<std::size_t>(kWrist[h])];
        re.together = e.present && e.vis[9] && e.vis[10] && norm(sub(e.pos[9], e.pos[10])) < kTogether;
        rs.head = (rs.head + 1) % kHist2;
        rs.ring[static_cast<std::size_t>(rs.head)] = re;
        rs.n = std::min(rs.n + 1, kHist2);
        if (!e.present) return;

        auto put = [&](int i, double val) { tok.values[static_cast<std::size_t>(i)] = static_cast<float>(val); };
        double ext[2] = {0, 0};
        for (int h = 0; h < 2; ++h) {
            const int o = 128 + 20 * h, qw = 2 * h, qe = 2 * h + 1;
            if (rs.have[qw] && re.r_ok[qw]) {
                put(o, re.r[qw].u - rs.rest[qw].u);
                put(o + 1, re.r[qw].v - rs.rest[qw].v);
                put(o + 2, 1.0);
            }
            if (rs.have[qe] && re.r_ok[qe]) {
                put(o + 3, re.r[qe].u - rs.rest[qe].u);
                put(o + 4, re.r[qe].v - rs.rest[qe].v);
            }
            // Largest excursion from rest in each direction (+u, -u, +v, -v) over the history, signed
            // (-u and -v as negative values), and how many tokens ago it was (newest first: ties keep
            // the newest); returns the number of tokens that had the joint and the largest |excursion|.
            auto extremes = [&](int q, double ext_c[4], int ago[4], int& away, double& largest) {
                double best[4] = {0, 0, 0, 0};
                int cnt = 0;
                for (int i = 0; i < rs.n; ++i) {
                    const RestEntry& r = rs.at(i);
                    if (!r.r_ok[q]) continue;
                    const Vec d = sub(r.r[q], rs.rest[q]);
                    const double val[4] = {d.u, -d.u, d.v, -d.v};   // maximise each
                    for (int c = 0; c < 4; ++c)
                        if (cnt == 0 || val[c] > best[c]) {
                            best[c] = val[c];
                            ago[c] = i;
                        }
                    ++cnt;
                    if (norm(d) > kAway) ++away;
                }
                for (int c = 0; c < 4; ++c) {
                    ext_c[c] = (c % 2 == 0) ? best[c] : -best[c];
                    if (cnt > 0) largest = std::max(largest, std::abs(ext_c[c]));
                }
                return cnt;
            };
            double e_w = 0, e_e = 0, ext_c[4];
            int ago[4] = {0, 0, 0, 0}, away = 0;
            if (rs.have[qw] && extremes(qw, ext_c, ago, away, e_w) > 0) {
                for (int c = 0; c < 4; ++c) {
                    put(o + 5 + c, ext_c[c]);
                    put(o + 9 + c, ago[c] / static_cast<double>(kHist2 - 1));
                }
                put(o + 13, away / static_cast<double>(kHist2));
            }
            int elbow_away = 0;
            if (rs.have[qe] && extremes(qe, ext_c, ago, elbow_away, e_e) > 0)
                for (int c = 0; c < 4; ++c) put(o + 14 + c, ext_c[c]);
            int seen = 0;
            double path = 0;
            for (int i = 0; i < rs.n; ++i) {
                const RestEntry& q = rs.at(i);
                seen += q.wvis[h] ? 1 : 0;
                if (i + 1 < rs.n && q.r_ok[qw] && rs.at(i + 1).r_ok[qw]) path += norm(sub(q.r[qw], rs.at(i + 1).r[qw]));
            }
            put(o + 18, seen / static_cast<double>(kHist2));
            put(o + 19, path);
            ext[h] = std::max(e_w, e_e);
        }
        int together = 0;
        for (int i = 0; i < std::min(rs.n, kTogetherN); ++i) together += rs.at(i).together ? 1 : 0;
        put(168, together / static_cast<double>(kTogetherN));
        const int a = ext[0] > ext[1] ? 0 : 1;
        for (int c = 0; c < 20; ++c) tok.values[static_cast<std::size_t>(169 + c)] = tok.values[static_cast<std::size_t>(128 + 20 * a + c)];
        put(189, a == 0 ? 1.0 : -1.0);
    }

    // pose-kp-v3: writes [190, 217) from the hand observations of the token's frames.
    void hand_block(const Entry& e, const Slot& s) {
        if (p.version < 3) return;
        HandEntry he;
        if (e.present)
            for (int h = 0; h < 2; ++h) {
                he.looked[h] = s.hand_looked[h] > 0;
                he.seen[h] = s.hand_seen[h] > 0;
                if (he.seen[h]) he.size[h] = s.hand_size[h] / s.hand_seen[h];
            }
        hs.head = (hs.head + 1) % kHandHist;
        hs.ring[static_cast<std::size_t>(hs.head)] = he;
        hs.n = std::min(hs.n + 1, kHandHist);
        if (!e.present) return;
        auto put = [&](int i, double val) { tok.values[static_cast<std::size_t>(i)] = static_cast<float>(val); };
        int seen10[2] = {0, 0};
        for (int h = 0; h < 2; ++h) {
            const int o = 190 + 9 * h;
            if (he.seen[h]) {
                put(o, 1.0);
                put(o + 1, he.size[h]);
            }
            int looked10 = 0;
            for (int i = 0; i < std::min(hs.n, kHandRecent); ++i) {
                seen10[h] += hs.at(i).seen[h] ? 1 : 0;
                looked10 += hs.at(i).looked[h] ? 1 : 0;
            }
            put(o + 2, seen10[h] / static_cast<double>(kHandRecent));
            put(o + 3, looked10 / static_cast<double>(kHandRecent));
            int cnt = 0, last_ago = kHandHist - 1, max_ago = 0;
            double largest = 0, smallest = 0, newest = 0, oldest = 0;
            bool any = false;
            for (int i = 0; i < hs.n; ++i) {   // newest first
                const HandEntry& q = hs.at(i);
                if (!q.seen[h]) continue;
                const double z = q.size[h];
                if (!any) {
                    any = true;
                    newest = largest = smallest = z;
                    last_ago = i;
                    max_ago = i;
                } else {
                    if (z > largest) {
                        largest = z;
                        max_ago = i;
                    }
                    smallest = std::min(smallest, z);
                }
                oldest = z;
                ++cnt;
            }
            put(o + 4, largest);
            put(o + 5, cnt >= 2 ? newest - oldest : 0.0);
            put(o + 6, (any ? last_ago : kHandHist - 1) / static_cast<double>(kHandHist - 1));
            put(o + 7, max_ago / static_cast<double>(kHandHist - 1));
            put(o + 8, smallest);
        }
        const int a = seen10[0] > seen10[1] ? 0 : 1;
        for (int c = 0; c < 9; ++c) tok.values[static_cast<std::size_t>(208 + c)] = tok.values[static_cast<std::size_t>(190 + 9 * a + c)];
    }

    void push(const PoseFrame& f, const HandObservation* hands, double t, const std::function<void(const Token&)>& on_token) {
        if (!std::isfinite(t)) return;
        if (started && (t < t_last || t - t_last > std::max(kStale, 3.0 * period))) reset();
        if (!started) {
            started = true;
            t0 = t;
            open = 1;
        }
        t_last = t;
        const double r = (t - t0) / period;
        const long k = std::max(1L, static_cast<long>(std::ceil(r - 1e-6)));
        while (open < k) {
            emit(open, on_token);
            ++open;
        }
        add(f, hands, t);
        if (r >= static_cast<double>(k) - 1e-6) {
            emit(open, on_token);
            ++open;
        }
    }
};

PoseTokenizer::PoseTokenizer(PoseTokenParams params) : m_impl(std::make_unique<Impl>()) {
    if (!(params.token_rate_hz > 0.0) || !std::isfinite(params.token_rate_hz))
        throw FeatureError("pose tokens: the token rate must be positive");
    if (params.version < 1 || params.version > 4)
        throw FeatureError("pose tokens: unknown layout version " + std::to_string(params.version) + " (known: 1-4)");
    m_impl->p = params;
    m_impl->period = 1.0 / params.token_rate_hz;
    m_impl->tok.values.assign(static_cast<std::size_t>(dim_of(params.version)), 0.0f);
}
PoseTokenizer::~PoseTokenizer() = default;
PoseTokenizer::PoseTokenizer(PoseTokenizer&&) noexcept = default;
PoseTokenizer& PoseTokenizer::operator=(PoseTokenizer&&) noexcept = default;
const char* PoseTokenizer::id(int version) {
    return version == 4 ? "pose-kp-v4" : version == 3 ? "pose-kp-v3" : version == 2 ? "pose-kp-v2" : "pose-kp-v1";
}
int PoseTokenizer::version_of(const std::string& id) {
    if (id == "pose-kp-v1") return 1;
    if (id == "pose-kp-v2") return 2;
    if (id == "pose-kp-v3") return 3;
    if (id == "pose-kp-v4") return 4;
    return 0;
}
int PoseTokenizer::dim_of(int version) { return version >= 3 ? kDimV3 : version == 2 ? kDimV2 : kDim; }
const char* PoseTokenizer::layout_id() const { return id(m_impl->p.version); }
int PoseTokenizer::dim() const { return dim_of(m_impl->p.version); }
void PoseTokenizer::push(const PoseFrame& f, double t_s, const std::function<void(const Token&)>& on_token) {
    m_impl->push(f, nullptr, t_s, on_token);
}
void PoseTokenizer::push(const PoseFrame& f, const HandPair& hands, double t_s,
                         const std::function<void(const Token&)>& on_token) {
    m_impl->push(f, hands.data(), t_s, on_token);
}
bool PoseTokenizer::uses_hands() const { return m_impl->p.version >= 3; }
void PoseTokenizer::reset() { m_impl->reset(); }

}  // namespace colive
