// SPDX-License-Identifier: MIT
// Stream: regular and continual inference over a sliding window of n tokens.
//
// Layout conventions
// - Every per-token buffer of the window is a ring indexed by slot = token_index mod n. All
//   row-wise operations (projections, LayerNorm, FFN) and attention (which is invariant to the
//   order of its keys) work directly in slot order, so nothing is ever shifted or gathered.
//   During warm-up the valid slots are 0..t, which are contiguous too.
// - Per-head caches are stored head-major: [head][slot][d_h].
// - Empty window slots act as keys and values equal to zero (see engine.h, "Warm-up").
//
// Continual retroactive attention (first block when blocks >= 2) keeps, for every query row i in
// the window and every head, a reference m_i, a denominator D_i = sum_j exp(s_ij - m_i), the
// numerator AV_i = sum_j exp(s_ij - m_i) v_j and mag_i, the sum of every term added or removed
// since the row was last computed exactly. A new score above m_i rescales the row (online
// softmax). If D_i drops below mag_i / 64 (the leaving key dominated the row, so the
// subtraction cancelled), the row is recomputed exactly from the caches in O(n d_h). Rows touched
// while a non-finite token is in the window are recomputed once it has left.
#include "engine_internal.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace colive {

namespace {

constexpr float kRecomputeRatio = 1.0f / 64.0f;

using Eigen::Index;
using HeadMap = Eigen::Map<const RowMat, Eigen::Unaligned, Eigen::OuterStride<>>;

// Softmax over `count` scores in place, with `pad` additional zero scores whose values are zero
// (they only add to the denominator).
inline void softmax_padded(float* s, int count, int pad) {
    Eigen::Map<Eigen::ArrayXf> a(s, count);
    float m = count > 0 ? a.maxCoeff() : 0.0f;
    if (pad > 0) m = std::max(m, 0.0f);
    if (std::isnan(m) || std::isinf(m)) {
        a.setConstant(std::numeric_limits<float>::quiet_NaN());
        return;
    }
    a = (a - m).exp();
    const float denom = a.sum() + (pad > 0 ? float(pad) * std::exp(-m) : 0.0f);
    a *= 1.0f / denom;
}

}  // namespace

struct Stream::State {
    std::shared_ptr<const Model> model;
    const ModelConfig* cfg = nullptr;
    const Model::Impl* W = nullptr;
    Mode mode = Mode::Continual;

    int d_in = 0, d = 0, h = 0, dh = 0, n = 0, f = 0, C = 0, L = 0, M = 0;
    float scale = 1.0f;
    std::int64_t t = 0;           // tokens seen since reset
    std::int64_t extra_macs = 0;  // recompute work in the last step

    // Outputs.
    AlignedFloats logits, probs, encoded, normed;
    // Single-token scratch.
    AlignedFloats emb, qkv, att, x1, hid, tmp, scores, scores2, kold, vold;

    // Window buffers (n rows, slot order).
    AlignedFloats Xw, Yw, QKVw, Ow, Aw, Hw, Sw;
    std::vector<unsigned char> bad;   // per slot: token (or its projections) not finite
    int bad_count = 0;

    // Regular: raw tokens and their PE phases.
    AlignedFloats raw;
    std::vector<int> phase;

    // Continual, single-output first block (blocks == 1): key/value rings [h][n][dh].
    AlignedFloats Kr, Vr;
    // Continual, retroactive first block (blocks >= 2).
    AlignedFloats Qr, AV, rowm, rowD, rowmag, Xr, R0;   // R0: the block's output rows
    std::vector<unsigned char> dirty;

    // GEMM plans (packing buffers allocated once).
    GemmPlan g_input, g_inproj, g_kv, g_out, g_l1, g_l2;

    State(std::shared_ptr<const Model> m, Mode md) : model(std::move(m)), mode(md) {
        cfg = &model->config();
        W = &model->impl();
        d_in = cfg->d_in;
        d = cfg->d_model;
        h = cfg->heads;
        dh = d / h;
        n = cfg->window;
        f = cfg->d_ff;
        C = cfg->num_classes();
        L = cfg->blocks;
        M = cfg->pe_rows;
        scale = float(1.0 / std::sqrt(double(dh)));
        const auto un = std::size_t(n), ud = std::size_t(d), uf = std::size_t(f);

        logits = AlignedFloats(std::size_t(C));
        probs = AlignedFloats(std::size_t(C));
        encoded = AlignedFloats(ud);
        normed = AlignedFloats(ud);
        emb = AlignedFloats(ud);
        qkv = AlignedFloats(3 * ud);
        att = AlignedFloats(ud);
        x1 = AlignedFloats(ud);
        hid = AlignedFloats(uf);
        tmp = AlignedFloats(ud);
        scores = AlignedFloats(un);
        scores2 = AlignedFloats(2 * un);
        kold = AlignedFloats(ud);
        vold = AlignedFloats(ud);
        bad.assign(un, 0);

        const bool need_window = mode == Mode::Regular || L >= 2;
        if (need_window) {
            Xw = AlignedFloats(un * ud);
            Yw = AlignedFloats(un * ud);
            QKVw = AlignedFloats(un * 3 * ud);
            Ow = AlignedFloats(un * ud);
            Aw = AlignedFloats(un * ud);
            Hw = AlignedFloats(un * uf);
            Sw = AlignedFloats(un * un);
            g_out = GemmPlan(n, d, d);
            g_l1 = GemmPlan(n, f, d);
            g_l2 = GemmPlan(n, d, f);
        }
        if (mode == Mode::Regular) {
            raw = AlignedFloats(un * std::size_t(d_in));
            phase.assign(un, 0);
            if (W->input_proj.w) g_input = GemmPlan(n, d, d_in);
            g_inproj = GemmPlan(n, 3 * d, d);
        } else if (L == 1) {
            Kr = AlignedFloats(un * ud);
            Vr = AlignedFloats(un * ud);
        } else {
            Qr = AlignedFloats(un * ud);
            Kr = AlignedFloats(un * ud);
            Vr = AlignedFloats(un * ud);
            AV = AlignedFloats(un * ud);
            rowm = AlignedFloats(un * std::size_t(h));
            rowD = AlignedFloats(un * std::size_t(h));
            rowmag = AlignedFloats(un * std::size_t(h));
            Xr = AlignedFloats(un * ud);
            R0 = AlignedFloats(un * ud);
            dirty.assign(un, 0);
            if (L >= 3) g_inproj = GemmPlan(n, 3 * d, d);
            g_kv = GemmPlan(n, 2 * d, d);
        }
        reset();
    }

    void reset() {
        t = 0;
        bad_count = 0;
        std::fill(bad.begin(), bad.end(), 0);
        std::fill(dirty.begin(), dirty.end(), 0);
        std::fill(phase.begin(), phase.end(), 0);
        for (AlignedFloats* a : {&raw, &Kr, &Vr, &Qr, &AV, &rowm, &rowD, &rowmag, &Xr, &R0, &logits, &probs, &encoded})
            a->zero();
    }

    std::size_t bytes() const {
        std::size_t b = 0;
        for (const AlignedFloats* a : {&logits, &probs, &encoded, &normed, &emb, &qkv, &att, &x1, &hid, &tmp, &scores, &scores2,
                                       &kold, &vold, &Xw, &Yw, &QKVw, &Ow, &Aw, &Hw, &Sw, &raw, &Kr, &Vr, &Qr, &AV,
                                       &rowm, &rowD, &rowmag, &Xr, &R0})
            b += AlignedFloats::padded(a->size()) * sizeof(float);
        b += bad.size() + dirty.size() + phase.size() * sizeof(int);
        for (const GemmPlan* g : {&g_input, &g_inproj, &g_kv, &g_out, &g_l1, &g_l2}) b += g->bytes();
        return b;
    }

    // ---- embedding --------------------------------------------------------------------------
    void add_pe(float* x, int ph) const {
        if (!W->pe) return;
        const float* p = W->pe + std::size_t(ph) * std::size_t(d);
        for (int i = 0; i < d; ++i) x[i] += p[i];
    }

    void embed(const float* token, int ph, float* out) const {
        if (W->input_proj.w)
            linear_vec(W->input_proj, token, out);
        else
            std::memcpy(out, token, sizeof(float) * std::size_t(d));
        add_pe(out, ph);
    }

    // ---- shared block pieces ----------------------------------------------------------------
    // Single row: y = LN2(x1 + FFN(x1)), x1 = LN1(x + out_proj(o)). `o` is the concatenated heads.
    void block_tail_one(const LayerW& Lw, const float* x, const float* o, float* y) {
        linear_vec(Lw.out_proj, o, tmp.data());
        for (int i = 0; i < d; ++i) x1.data()[i] = x[i] + tmp.data()[i];
        layer_norm(Lw.norm1, cfg->ln_eps, x1.data(), x1.data());
        linear_vec(Lw.linear1, x1.data(), hid.data());
        activate(cfg->activation, hid.data(), std::size_t(f));
        linear_vec(Lw.linear2, hid.data(), tmp.data());
        for (int i = 0; i < d; ++i) tmp.data()[i] += x1.data()[i];
        layer_norm(Lw.norm2, cfg->ln_eps, tmp.data(), y);
    }

    // Rows: Y = LN2(X1 + FFN(X1)), X1 = LN1(X + out_proj(O)). Uses Aw and Hw. Y may alias O.
    void block_tail_rows(const LayerW& Lw, const float* X, const float* O, int rows, float* Y) {
        const auto ud = std::size_t(d);
        g_out.run(Lw.out_proj, O, d, rows, Aw.data(), d);
        float* X1 = Aw.data();
        for (std::size_t k = 0; k < std::size_t(rows) * ud; ++k) X1[k] += X[k];
        layer_norm_rows(Lw.norm1, cfg->ln_eps, X1, rows, d);
        g_l1.run(Lw.linear1, X1, d, rows, Hw.data(), f);
        activate(cfg->activation, Hw.data(), std::size_t(rows) * std::size_t(f));
        g_l2.run(Lw.linear2, Hw.data(), f, rows, Y, d);
        for (std::size_t k = 0; k < std::size_t(rows) * ud; ++k) Y[k] += X1[k];
        layer_norm_rows(Lw.norm2, cfg->ln_eps, Y, rows, d);
    }

    // One query (d, already scaled) against nk keys per head; keys of head hh start at
    // K + hh*head_off with row stride ld (same for V). `pad` extra zero keys/values.
    void attend_one(const float* q, const float* K, const float* V, int nk, std::size_t head_off, int ld, int pad,
                    float* out) {
        for (int hh = 0; hh < h; ++hh) {
            HeadMap Kh(K + std::size_t(hh) * head_off, nk, dh, Eigen::OuterStride<>(ld));
            HeadMap Vh(V + std::size_t(hh) * head_off, nk, dh, Eigen::OuterStride<>(ld));
            VecMap s(scores.data(), nk);
            s.noalias() = Kh * ConstVecMap(q + hh * dh, dh);
            softmax_padded(scores.data(), nk, pad);
            VecMap o(out + hh * dh, dh);
            o.noalias() = Vh.transpose() * ConstVecMap(scores.data(), nk);
        }
    }

    // A regular post-norm encoder block over `rows` rows of Xin (slot order), pad = n - rows.
    void regular_block_rows(const LayerW& Lw, const float* Xin, int rows, float* Y) {
        const int pad = n - rows;
        const int ld = 3 * d;
        g_inproj.run(Lw.in_proj, Xin, d, rows, QKVw.data(), ld);
        for (int r = 0; r < rows; ++r) {
            float* qr = QKVw.data() + std::size_t(r) * std::size_t(ld);
            for (int i = 0; i < d; ++i) qr[i] *= scale;
        }
        for (int hh = 0; hh < h; ++hh) {
            HeadMap Qh(QKVw.data() + hh * dh, rows, dh, Eigen::OuterStride<>(ld));
            HeadMap Kh(QKVw.data() + d + hh * dh, rows, dh, Eigen::OuterStride<>(ld));
            HeadMap Vh(QKVw.data() + 2 * d + hh * dh, rows, dh, Eigen::OuterStride<>(ld));
            RowMatMap S(Sw.data(), rows, rows, Eigen::OuterStride<>(rows));
            S.noalias() = Qh * Kh.transpose();
            for (int r = 0; r < rows; ++r) softmax_padded(Sw.data() + std::size_t(r) * std::size_t(rows), rows, pad);
            RowMatMap Oh(Ow.data() + hh * dh, rows, dh, Eigen::OuterStride<>(d));
            Oh.noalias() = S * Vh;
        }
        block_tail_rows(Lw, Xin, Ow.data(), rows, Y);
    }

    // Last block of a deep continual encoder: only the newest row (slot s) is computed; keys and
    // values are projected for every row.
    void single_output_last_block(const LayerW& Lw, const float* Xin, int rows, int s, float* y) {
        const float* xs = Xin + std::size_t(s) * std::size_t(d);
        // q = W_q x_s + b_q (first d rows of in_proj), scaled.
        LinearW wq{Lw.in_proj.w, Lw.in_proj.b, d, d};
        linear_vec(wq, xs, qkv.data());
        for (int i = 0; i < d; ++i) qkv.data()[i] *= scale;
        LinearW wkv{Lw.in_proj.w + std::size_t(d) * std::size_t(d), Lw.in_proj.b ? Lw.in_proj.b + d : nullptr, 2 * d,
                    d};
        g_kv.run(wkv, Xin, d, rows, QKVw.data(), 2 * d);
        attend_one(qkv.data(), QKVw.data(), QKVw.data() + d, rows, std::size_t(dh), 2 * d, n - rows, att.data());
        block_tail_one(Lw, xs, att.data(), y);
    }

    // ---- continual retroactive first block ------------------------------------------------------
    float* ring(AlignedFloats& a, int hh, int slot) {
        return a.data() + (std::size_t(hh) * std::size_t(n) + std::size_t(slot)) * std::size_t(dh);
    }

    void recompute_row(int hh, int i) {
        HeadMap Kh(Kr.data() + std::size_t(hh) * std::size_t(n) * std::size_t(dh), n, dh, Eigen::OuterStride<>(dh));
        HeadMap Vh(Vr.data() + std::size_t(hh) * std::size_t(n) * std::size_t(dh), n, dh, Eigen::OuterStride<>(dh));
        VecMap s(scores.data(), n);
        s.noalias() = Kh * ConstVecMap(ring(Qr, hh, i), dh);
        const float m = s.maxCoeff();
        Eigen::Map<Eigen::ArrayXf> a(scores.data(), n);
        a = (a - m).exp();
        const float D = a.sum();
        VecMap av(ring(AV, hh, i), dh);
        av.noalias() = Vh.transpose() * ConstVecMap(scores.data(), n);
        const std::size_t idx = std::size_t(hh) * std::size_t(n) + std::size_t(i);
        rowm.data()[idx] = m;
        rowD.data()[idx] = D;
        rowmag.data()[idx] = D;
        extra_macs += 2 * std::int64_t(n) * dh;
    }

    // Feeds embedding e (already PE'd) into the retroactive block; writes all valid rows (slot
    // order) of the block output to R0. Returns the number of rows.
    int retroactive_step(const LayerW& Lw, const float* e, bool token_bad) {
        const int s = int(t % n);
        linear_vec(Lw.in_proj, e, qkv.data());
        float* q = qkv.data();
        const float* k = qkv.data() + d;
        const float* v = qkv.data() + 2 * d;
        for (int i = 0; i < d; ++i) q[i] *= scale;
        const bool new_bad = token_bad || !all_finite(qkv.data(), 3 * std::size_t(d));

        // Save the leaving key/value (zeros while the window is not full), then write the new token.
        for (int hh = 0; hh < h; ++hh) {
            std::memcpy(kold.data() + hh * dh, ring(Kr, hh, s), sizeof(float) * std::size_t(dh));
            std::memcpy(vold.data() + hh * dh, ring(Vr, hh, s), sizeof(float) * std::size_t(dh));
            std::memcpy(ring(Qr, hh, s), q + hh * dh, sizeof(float) * std::size_t(dh));
            std::memcpy(ring(Kr, hh, s), k + hh * dh, sizeof(float) * std::size_t(dh));
            std::memcpy(ring(Vr, hh, s), v + hh * dh, sizeof(float) * std::size_t(dh));
        }
        std::memcpy(Xr.data() + std::size_t(s) * std::size_t(d), e, sizeof(float) * std::size_t(d));
        bad_count += int(new_bad) - int(bad[std::size_t(s)]);
        bad[std::size_t(s)] = new_bad;

        // Live rows other than the new one: tokens max(0, t-n+1) .. t-1.
        const int live = int(std::min<std::int64_t>(t, n - 1));
        for (int hh = 0; hh < h; ++hh) {
            HeadMap Qh(Qr.data() + std::size_t(hh) * std::size_t(n) * std::size_t(dh), n, dh,
                       Eigen::OuterStride<>(dh));
            // Scores of every row against the leaving and the new key (2 GEMVs over the ring).
            VecMap so(scores2.data(), n);
            VecMap sn(scores2.data() + n, n);
            so.noalias() = Qh * ConstVecMap(kold.data() + hh * dh, dh);
            sn.noalias() = Qh * ConstVecMap(k + hh * dh, dh);
            const float* vo = vold.data() + hh * dh;
            const float* vn = v + hh * dh;
            for (int j = 1; j <= live; ++j) {
                const int i = int((t - j) % n);
                const std::size_t idx = std::size_t(hh) * std::size_t(n) + std::size_t(i);
                float m = rowm.data()[idx], D = rowD.data()[idx], mag = rowmag.data()[idx];
                float* av = ring(AV, hh, i);
                const float s_old = so[i], s_new = sn[i];
                if (s_new > m) {
                    const float r = std::exp(m - s_new);
                    D *= r;
                    mag *= r;
                    for (int c = 0; c < dh; ++c) av[c] *= r;
                    m = s_new;
                }
                const float wo = std::exp(s_old - m);
                const float wn = std::exp(s_new - m);
                D = D - wo + wn;
                mag += wo + wn;
                for (int c = 0; c < dh; ++c) av[c] += wn * vn[c] - wo * vo[c];
                rowm.data()[idx] = m;
                rowD.data()[idx] = D;
                rowmag.data()[idx] = mag;
                if (!(D >= mag * kRecomputeRatio)) {
                    if (bad_count == 0)
                        recompute_row(hh, i);
                    else
                        dirty[std::size_t(i)] = 1;
                }
            }
        }
        // The new row, computed exactly.
        for (int hh = 0; hh < h; ++hh) recompute_row(hh, s);
        extra_macs -= 2 * std::int64_t(n) * d;   // the new row is part of the regular step cost

        if (bad_count > 0) {
            for (int j = 0; j <= live; ++j) dirty[std::size_t((t - j) % n)] = 1;
        } else {
            for (int j = 1; j <= live; ++j) {
                const int i = int((t - j) % n);
                if (!dirty[std::size_t(i)]) continue;
                for (int hh = 0; hh < h; ++hh) recompute_row(hh, i);
                dirty[std::size_t(i)] = 0;
            }
            dirty[std::size_t(s)] = 0;
        }

        // Attention outputs of every valid row (slot order), then the rest of the block.
        const int rows = int(std::min<std::int64_t>(t + 1, n));
        for (int i = 0; i < rows; ++i) {
            for (int hh = 0; hh < h; ++hh) {
                const std::size_t idx = std::size_t(hh) * std::size_t(n) + std::size_t(i);
                const float inv = 1.0f / rowD.data()[idx];
                const float* av = ring(AV, hh, i);
                float* o = Ow.data() + std::size_t(i) * std::size_t(d) + std::size_t(hh) * std::size_t(dh);
                for (int c = 0; c < dh; ++c) o[c] = av[c] * inv;
            }
        }
        block_tail_rows(Lw, Xr.data(), Ow.data(), rows, R0.data());
        return rows;
    }

    // ---- steps ------------------------------------------------------------------------------
    void step_continual(const float* token, bool token_bad) {
        const int s = int(t % n);
        const int ph = M > 0 ? int(t % M) : 0;
        embed(token, ph, emb.data());
        if (L == 1) {
            const LayerW& Lw = W->layers[0];
            linear_vec(Lw.in_proj, emb.data(), qkv.data());
            for (int i = 0; i < d; ++i) qkv.data()[i] *= scale;
            const bool new_bad = token_bad || !all_finite(qkv.data(), 3 * std::size_t(d));
            bad_count += int(new_bad) - int(bad[std::size_t(s)]);
            bad[std::size_t(s)] = new_bad;
            for (int hh = 0; hh < h; ++hh) {
                std::memcpy(ring(Kr, hh, s), qkv.data() + d + hh * dh, sizeof(float) * std::size_t(dh));
                std::memcpy(ring(Vr, hh, s), qkv.data() + 2 * d + hh * dh, sizeof(float) * std::size_t(dh));
            }
            attend_one(qkv.data(), Kr.data(), Vr.data(), n, std::size_t(n) * std::size_t(dh), dh, 0, att.data());
            block_tail_one(Lw, emb.data(), att.data(), encoded.data());
            return;
        }
        const int rows = retroactive_step(W->layers[0], emb.data(), token_bad);
        const float* X = R0.data();
        for (int l = 1; l + 1 < L; ++l) {
            float* Y = (l % 2 == 1) ? Xw.data() : Yw.data();
            regular_block_rows(W->layers[std::size_t(l)], X, rows, Y);
            X = Y;
        }
        single_output_last_block(W->layers[std::size_t(L - 1)], X, rows, s, encoded.data());
    }

    void step_regular(const float* token, bool token_bad) {
        const int s = int(t % n);
        const int rows = int(std::min<std::int64_t>(t + 1, n));
        std::memcpy(raw.data() + std::size_t(s) * std::size_t(d_in), token, sizeof(float) * std::size_t(d_in));
        phase[std::size_t(s)] = M > 0 ? int(t % M) : 0;
        bad_count += int(token_bad) - int(bad[std::size_t(s)]);
        bad[std::size_t(s)] = token_bad;
        // Input projection and PE over the whole window.
        float* X = Xw.data();
        if (W->input_proj.w)
            g_input.run(W->input_proj, raw.data(), d_in, rows, X, d);
        else
            std::memcpy(X, raw.data(), sizeof(float) * std::size_t(rows) * std::size_t(d));
        for (int r = 0; r < rows; ++r) add_pe(X + std::size_t(r) * std::size_t(d), phase[std::size_t(r)]);
        float* Y = Yw.data();
        for (int l = 0; l < L; ++l) {
            regular_block_rows(W->layers[std::size_t(l)], X, rows, Y);
            std::swap(X, Y);
        }
        std::memcpy(encoded.data(), X + std::size_t(s) * std::size_t(d), sizeof(float) * std::size_t(d));
    }

    void finish(StepResult& r) {
        const float* enc = encoded.data();
        if (W->final_norm.g) {
            layer_norm(W->final_norm, cfg->ln_eps, enc, normed.data());
            enc = normed.data();
        }
        if (C > 0) {
            linear_vec(W->head, enc, logits.data());
            std::memcpy(probs.data(), logits.data(), sizeof(float) * std::size_t(C));
            softmax(probs.data(), C);
        }
        r.probs = std::span<const float>(probs.data(), std::size_t(C));
        r.logits = std::span<const float>(logits.data(), std::size_t(C));
        r.encoded = std::span<const float>(encoded.data(), std::size_t(d));
        r.finite = bad_count == 0 && all_finite(encoded.data(), std::size_t(d)) &&
                   all_finite(logits.data(), std::size_t(C)) && all_finite(probs.data(), std::size_t(C));
    }
};

// -------------------------------------------------------------------------------------------------
Stream::Stream(std::shared_ptr<const Model> model, Mode mode) {
    if (!model) throw ModelError("Stream: no model");
    m_state = std::make_unique<State>(std::move(model), mode);
}
Stream::~Stream() = default;
Stream::Stream(Stream&&) noexcept = default;
Stream& Stream::operator=(Stream&&) noexcept = default;

StepResult Stream::step(std::span<const float> token) {
    State& st = *m_state;
    if (token.size() != std::size_t(st.d_in))
        throw InputError("token has " + std::to_string(token.size()) + " values, the model expects " +
                         std::to_string(st.d_in));
    const bool token_bad = !all_finite(token.data(), token.size());
    const int rows = int(std::min<std::int64_t>(st.t + 1, st.n));
    st.extra_macs = 0;
    if (st.mode == Mode::Regular)
        st.step_regular(token.data(), token_bad);
    else
        st.step_continual(token.data(), token_bad);
    StepResult r;
    st.finish(r);
    r.step = st.t;
    r.warmup = st.t + 1 < st.n;
    r.macs = detail::macs_for_rows(*st.cfg, st.mode, rows).total() + std::max<std::int64_t>(0, st.extra_macs);
    ++st.t;
    return r;
}

void Stream::reset() { m_state->reset(); }
Mode Stream::mode() const { return m_state->mode; }
const Model& Stream::model() const { return *m_state->model; }
std::int64_t Stream::tokens_seen() const { return m_state->t; }
std::size_t Stream::state_bytes() const { return m_state->bytes(); }

std::size_t Stream::first_block_rows(std::span<float> out) const {
    const State& st = *m_state;
    if (st.mode != Mode::Continual || st.L < 2 || st.t == 0) return 0;
    const auto rows = std::size_t(std::min<std::int64_t>(st.t, st.n));
    const auto ud = std::size_t(st.d);
    if (out.size() < rows * ud) throw InputError("first_block_rows: output span too small");
    const std::int64_t first = st.t - std::int64_t(rows);
    for (std::size_t r = 0; r < rows; ++r) {
        const auto slot = std::size_t((first + std::int64_t(r)) % st.n);
        std::memcpy(out.data() + r * ud, st.R0.data() + slot * ud, ud * sizeof(float));
    }
    return rows;
}

}  // namespace colive
