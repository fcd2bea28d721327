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
//
// Pre-norm blocks (ModelConfig::norm_first, docs/prenorm.md) reuse the same attention: it consumes
// LN1 of the block input instead of the input itself, and the block tail becomes
// y = x1 + FFN(LN2(x1)), x1 = x + out_proj(o). Only where LN1 runs changes per depth: on the new
// token in the 1-block and retroactive paths, on every row in regular blocks and in the deep
// single-output last block (its keys and values come from rows that all changed).
#include "engine_internal.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

namespace colive {

namespace {

constexpr float kRecomputeRatio = 1.0f / 64.0f;
// A leaving value this many times larger than every other value in the window forces an exact
// recompute of all rows (see retroactive_step).
constexpr float kValueDominance = 64.0f;

using Eigen::Index;

}  // namespace

struct Stream::State {
    std::shared_ptr<const Model> model;
    const ModelConfig* cfg = nullptr;
    const Model::Impl* W = nullptr;
    Mode mode = Mode::Continual;

    int d_in = 0, d = 0, h = 0, dh = 0, n = 0, f = 0, C = 0, L = 0, M = 0;
    bool prenorm = false;
    float scale = 1.0f;
    std::int64_t t = 0;           // tokens seen since reset
    std::int64_t first = 0;       // stream index of the first token after reset (PE phase offset)
    std::int64_t extra_macs = 0;  // recompute work in the last step

    // Outputs.
    AlignedFloats logits, probs, encoded, normed;
    // Single-token scratch.
    AlignedFloats emb, qkv, att, x1, hid, tmp, kold, vold, col;
    AlignedFloats zin;  // pre-norm: LN1 of the newest block input (d)
    AlignedFloats Sh;   // (h x n) scores

    // Window buffers (n rows, slot order).
    AlignedFloats Xw, Yw, QKVw, Ow, Aw, Hw, Sw, KVT;
    AlignedFloats Zw;   // pre-norm: LayerNorm'd rows (LN1 before attention, LN2 before the FFN)
    std::vector<unsigned char> bad;   // per slot: token (or its projections) not finite
    int bad_count = 0;

    // Regular: raw tokens and their PE phases.
    AlignedFloats raw;
    std::vector<int> phase;

    // Continual caches, transposed: a (d x n) row-major matrix whose column `slot` is the token's
    // vector, so head hh is the (d_h x n) block of rows hh*d_h ... and scores are long GEMVs.
    AlignedFloats KT, VT;                      // keys, values (first block)
    AlignedFloats QT, AVT, rowm, rowD, rowmag;  // retroactive: queries, numerators, (h x n) scalars
    AlignedFloats Xr, R0;                      // retroactive: block inputs, block outputs (n x d)
    AlignedFloats So, Sn;                      // (h x n) scores against the leaving / new key
    std::vector<unsigned char> dirty;
    std::vector<float> vmax;                   // retroactive: per slot, max |v| of the cached value

    // GEMM plans (packing buffers allocated once).
    GemmPlan g_input, g_inproj, g_kvt, g_out, g_l1, g_l2;
    // Continual mode with StreamOptions::weight_threads > 1: the helpers that split the GEMV rows.
    std::unique_ptr<SplitPool> pool;

    State(std::shared_ptr<const Model> m, Mode md, const StreamOptions& opt) : model(std::move(m)), mode(md) {
        if (mode == Mode::Continual && opt.weight_threads > 1)
            pool = std::make_unique<SplitPool>(opt.weight_threads, opt.spin_us, opt.split_min_bytes);
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
        prenorm = cfg->norm_first;
        scale = float(1.0 / std::sqrt(double(dh)));
        const auto un = std::size_t(n), ud = std::size_t(d), uf = std::size_t(f), uh = std::size_t(h);

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
        kold = AlignedFloats(ud);
        vold = AlignedFloats(ud);
        col = AlignedFloats(std::max(un, ud));
        Sh = AlignedFloats(uh * un);
        bad.assign(un, 0);
        vmax.assign(un, 0.0f);

        const bool need_window = mode == Mode::Regular || L >= 2;
        if (need_window) {
            Xw = AlignedFloats(un * ud);
            Yw = AlignedFloats(un * ud);
            Ow = AlignedFloats(un * ud);
            Aw = AlignedFloats(un * ud);
            Hw = AlignedFloats(un * uf);
            g_out = GemmPlan(n, d, d);
            g_l1 = GemmPlan(n, f, d);
            g_l2 = GemmPlan(n, d, f);
            if (prenorm) Zw = AlignedFloats(un * ud);
        }
        if (prenorm) zin = AlignedFloats(ud);
        if (mode == Mode::Regular || L >= 3) {
            QKVw = AlignedFloats(un * 3 * ud);
            Sw = AlignedFloats(un * un);
            g_inproj = GemmPlan(n, 3 * d, d);
        }
        if (mode == Mode::Regular) {
            raw = AlignedFloats(un * std::size_t(d_in));
            phase.assign(un, 0);
            if (W->input_proj.w) g_input = GemmPlan(n, d, d_in);
        } else {
            KT = AlignedFloats(ud * un);
            VT = AlignedFloats(ud * un);
            if (L >= 2) {
                QT = AlignedFloats(ud * un);
                AVT = AlignedFloats(ud * un);
                rowm = AlignedFloats(uh * un);
                rowD = AlignedFloats(uh * un);
                rowmag = AlignedFloats(uh * un);
                So = AlignedFloats(uh * un);
                Sn = AlignedFloats(uh * un);
                Xr = AlignedFloats(un * ud);
                R0 = AlignedFloats(un * ud);
                KVT = AlignedFloats(2 * ud * un);
                dirty.assign(un, 0);
                g_kvt = GemmPlan(n, 2 * d, d, true);
            }
        }
        reset();
    }

    void reset(std::int64_t first_index = 0) {
        t = 0;
        first = first_index;
        bad_count = 0;
        std::fill(bad.begin(), bad.end(), 0);
        std::fill(dirty.begin(), dirty.end(), 0);
        std::fill(vmax.begin(), vmax.end(), 0.0f);
        std::fill(phase.begin(), phase.end(), 0);
        for (AlignedFloats* a : {&raw, &KT, &VT, &QT, &AVT, &rowm, &rowD, &rowmag, &Xr, &R0, &logits, &probs, &encoded})
            a->zero();
    }

    std::size_t bytes() const {
        std::size_t b = 0;
        for (const AlignedFloats* a : {&logits, &probs, &encoded, &normed, &emb, &qkv, &att, &x1, &hid, &tmp, &kold, &vold,
                                       &col, &zin, &Zw, &Sh, &Xw, &Yw, &QKVw, &Ow, &Aw, &Hw, &Sw, &KVT, &raw, &KT,
                                       &VT, &QT, &AVT, &rowm, &rowD, &rowmag, &Xr, &R0, &So, &Sn})
            b += AlignedFloats::padded(a->size()) * sizeof(float);
        b += bad.size() + dirty.size() + phase.size() * sizeof(int);
        for (const GemmPlan* g : {&g_input, &g_inproj, &g_kvt, &g_out, &g_l1, &g_l2}) b += g->bytes();
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
            linear_vec(W->input_proj, token, out, pool.get());
        else
            std::memcpy(out, token, sizeof(float) * std::size_t(d));
        add_pe(out, ph);
    }

    // ---- shared block pieces ----------------------------------------------------------------
    // Single row: y = LN2(x1 + FFN(x1)), x1 = LN1(x + out_proj(o)). `o` is the concatenated heads.
    void block_tail_one(const LayerW& Lw, const float* x, const float* o, float* y) {
        linear_vec(Lw.out_proj, o, tmp.data(), pool.get());
        for (int i = 0; i < d; ++i) x1.data()[i] = x[i] + tmp.data()[i];
        layer_norm(Lw.norm1, cfg->ln_eps, x1.data(), x1.data());
        linear_vec(Lw.linear1, x1.data(), hid.data(), pool.get());
        activate(cfg->activation, hid.data(), std::size_t(f));
        linear_vec(Lw.linear2, hid.data(), tmp.data(), pool.get());
        for (int i = 0; i < d; ++i) tmp.data()[i] += x1.data()[i];
        layer_norm(Lw.norm2, cfg->ln_eps, tmp.data(), y);
    }

    // Rows: Y = LN2(X1 + FFN(X1)), X1 = LN1(X + out_proj(O)). Uses Aw and Hw. Y may alias O or X.
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

    // Pre-norm single row: y = x1 + FFN(LN2(x1)), x1 = x + out_proj(o). y must not alias x or o.
    void prenorm_tail_one(const LayerW& Lw, const float* x, const float* o, float* y) {
        linear_vec(Lw.out_proj, o, tmp.data(), pool.get());
        for (int i = 0; i < d; ++i) x1.data()[i] = x[i] + tmp.data()[i];
        layer_norm(Lw.norm2, cfg->ln_eps, x1.data(), tmp.data());
        linear_vec(Lw.linear1, tmp.data(), hid.data(), pool.get());
        activate(cfg->activation, hid.data(), std::size_t(f));
        linear_vec(Lw.linear2, hid.data(), y, pool.get());
        for (int i = 0; i < d; ++i) y[i] += x1.data()[i];
    }

    // Pre-norm rows: Y = X1 + FFN(LN2(X1)), X1 = X + out_proj(O). Uses Aw, Zw and Hw. Y may alias O or X.
    void prenorm_tail_rows(const LayerW& Lw, const float* X, const float* O, int rows, float* Y) {
        const std::size_t count = std::size_t(rows) * std::size_t(d);
        g_out.run(Lw.out_proj, O, d, rows, Aw.data(), d);
        float* X1 = Aw.data();
        for (std::size_t k = 0; k < count; ++k) X1[k] += X[k];
        float* Z = norm_rows(Lw.norm2, X1, rows);
        g_l1.run(Lw.linear1, Z, d, rows, Hw.data(), f);
        activate(cfg->activation, Hw.data(), std::size_t(rows) * std::size_t(f));
        g_l2.run(Lw.linear2, Hw.data(), f, rows, Y, d);
        for (std::size_t k = 0; k < count; ++k) Y[k] += X1[k];
    }

    // LayerNorm of `rows` rows of X into Zw (pre-norm blocks); returns Zw.
    float* norm_rows(const NormW& nw, const float* X, int rows) {
        for (int r = 0; r < rows; ++r)
            layer_norm(nw, cfg->ln_eps, X + std::size_t(r) * std::size_t(d), Zw.data() + std::size_t(r) * std::size_t(d));
        return Zw.data();
    }

    // What a block's attention consumes for the newest input x: LN1(x) (in zin) when pre-norm, else x.
    const float* attention_input(const LayerW& Lw, const float* x) {
        if (!prenorm) return x;
        layer_norm(Lw.norm1, cfg->ln_eps, x, zin.data());
        return zin.data();
    }

    // The block tail of either kind, for one row or for `rows` rows.
    void tail_one(const LayerW& Lw, const float* x, const float* o, float* y) {
        if (prenorm)
            prenorm_tail_one(Lw, x, o, y);
        else
            block_tail_one(Lw, x, o, y);
    }
    void tail_rows(const LayerW& Lw, const float* X, const float* O, int rows, float* Y) {
        if (prenorm)
            prenorm_tail_rows(Lw, X, O, rows, Y);
        else
            block_tail_rows(Lw, X, O, rows, Y);
    }

    // Row-wise softmax of the (r x c) row-major block S with `pad` extra zero scores per row whose
    // values are zero (they only add to the denominators).
    void softmax_rows_padded(float* S, int r, int c, int ld, int pad) { softmax_rows(S, r, c, ld, pad); }

    // One query q (d, already scaled) against nk keys: KT/VT are (d x nk) blocks of row stride ld
    // (head hh = rows hh*dh ...), `pad` extra zero keys/values. Writes the concatenated heads.
    void attend_one(const float* q, const float* KTp, const float* VTp, int nk, int ld, int pad, float* out) {
        attend_one_query(q, KTp, VTp, h, dh, nk, ld, pad, Sh.data(), out);
    }

    // A regular encoder block over `rows` rows of Xin (slot order), pad = n - rows: post-norm here,
    // pre-norm models go to prenorm_block_rows.
    void regular_block_rows(const LayerW& Lw, const float* Xin, int rows, float* Y) {
        if (prenorm) return prenorm_block_rows(Lw, Xin, rows, Y);
        attention_rows(Lw, Xin, rows);
        block_tail_rows(Lw, Xin, Ow.data(), rows, Y);
    }

    // A regular pre-norm block: Y = X1 + FFN(LN2(X1)), X1 = X + Attn(LN1(X)).
    void prenorm_block_rows(const LayerW& Lw, const float* Xin, int rows, float* Y) {
        attention_rows(Lw, norm_rows(Lw.norm1, Xin, rows), rows);
        prenorm_tail_rows(Lw, Xin, Ow.data(), rows, Y);
    }

    // Multi-head attention of `rows` rows of Xin among themselves (before out_proj), into Ow.
    void attention_rows(const LayerW& Lw, const float* Xin, int rows) {
        const int pad = n - rows;
        const int ld = 3 * d;
        g_inproj.run(Lw.in_proj, Xin, d, rows, QKVw.data(), ld);
        for (int r = 0; r < rows; ++r) {
            float* qr = QKVw.data() + std::size_t(r) * std::size_t(ld);
            for (int i = 0; i < d; ++i) qr[i] *= scale;
        }
        for (int hh = 0; hh < h; ++hh) {
            const float* Qh = QKVw.data() + hh * dh;   // (rows x dh), row stride ld, and K, V after it
            gemm(true, rows, rows, dh, Qh, ld, Qh + d, ld, 0.0f, Sw.data(), rows);   // S = Q K^T
            softmax_rows_padded(Sw.data(), rows, rows, rows, pad);
            gemm(false, rows, dh, rows, Sw.data(), rows, Qh + 2 * d, ld, 0.0f, Ow.data() + hh * dh, d);   // O = S V
        }
    }

    // Last block of a deep continual encoder: only the newest row (slot s) is computed; keys and
    // values are projected (transposed, d x rows) for every row.
    void single_output_last_block(const LayerW& Lw, const float* Xin, int rows, int s, float* y) {
        const float* xs = Xin + std::size_t(s) * std::size_t(d);
        // Pre-norm: the attention sees LN1 of every row (all changed), the residual the rows themselves.
        const float* A = prenorm ? norm_rows(Lw.norm1, Xin, rows) : Xin;
        // q = W_q a_s + b_q (first d rows of in_proj), scaled.
        LinearW wq{Lw.in_proj.w, Lw.in_proj.b, d, d, Lw.in_proj.w16};   // the first d rows (queries)
        linear_vec(wq, A + std::size_t(s) * std::size_t(d), qkv.data(), pool.get());
        for (int i = 0; i < d; ++i) qkv.data()[i] *= scale;
        LinearW wkv{Lw.in_proj.w + std::size_t(d) * std::size_t(d), Lw.in_proj.b ? Lw.in_proj.b + d : nullptr, 2 * d,
                    d};
        g_kvt.run_t(wkv, A, d, rows, KVT.data(), n);
        attend_one(qkv.data(), KVT.data(), KVT.data() + std::size_t(d) * std::size_t(n), rows, n, n - rows, att.data());
        tail_one(Lw, xs, att.data(), y);
    }

    // ---- continual caches ---------------------------------------------------------------------
    // Column `slot` of a (d x n) transposed cache.
    void put_col(AlignedFloats& a, int slot, const float* v) {
        float* p = a.data() + slot;
        for (int i = 0; i < d; ++i) p[std::size_t(i) * std::size_t(n)] = v[i];
    }
    void get_col(const AlignedFloats& a, int slot, float* v) const {
        const float* p = a.data() + slot;
        for (int i = 0; i < d; ++i) v[i] = p[std::size_t(i) * std::size_t(n)];
    }
    ConstRowMatMap head_block(const AlignedFloats& a, int hh) const {
        return ConstRowMatMap(a.data() + std::size_t(hh) * std::size_t(dh) * std::size_t(n), dh, n, Eigen::OuterStride<>(n));
    }

    // Exact softmax numerator/denominator of query row i (all heads) from the caches.
    void recompute_row(int i) {
        const auto un = std::size_t(n);
        for (int hh = 0; hh < h; ++hh) {
            for (int c = 0; c < dh; ++c) col.data()[c] = QT.data()[(std::size_t(hh * dh + c)) * un + std::size_t(i)];
            Eigen::Map<Eigen::RowVectorXf> b(Sh.data(), n);
            b.noalias() = Eigen::Map<const Eigen::RowVectorXf>(col.data(), dh) * head_block(KT, hh);
            const float m = b.maxCoeff();
            b.array() = (b.array() - m).exp();
            const float D = b.sum();
            VecMap av(tmp.data(), dh);
            av.noalias() = head_block(VT, hh) * ConstVecMap(Sh.data(), n);
            for (int c = 0; c < dh; ++c) AVT.data()[(std::size_t(hh * dh + c)) * un + std::size_t(i)] = av[c];
            const std::size_t idx = std::size_t(hh) * un + std::size_t(i);
            rowm.data()[idx] = m;
            rowD.data()[idx] = D;
            rowmag.data()[idx] = D;
        }
        extra_macs += 2 * std::int64_t(n) * d;
    }

    // Feeds embedding e (already PE'd) into the retroactive block; writes all valid rows (slot
    // order) of the block output to R0. Returns the number of rows.
    int retroactive_step(const LayerW& Lw, const float* e, bool token_bad) {
        const int s = int(t % n);
        const auto un = std::size_t(n);
        linear_vec(Lw.in_proj, attention_input(Lw, e), qkv.data(), pool.get());
        float* q = qkv.data();
        const float* k = qkv.data() + d;
        const float* v = qkv.data() + 2 * d;
        for (int i = 0; i < d; ++i) q[i] *= scale;
        const bool new_bad = token_bad || !all_finite(qkv.data(), 3 * std::size_t(d));

        // Save the leaving key/value (zeros while the window is not full), then write the new token.
        get_col(KT, s, kold.data());
        get_col(VT, s, vold.data());
        put_col(QT, s, q);
        put_col(KT, s, k);
        put_col(VT, s, v);
        std::memcpy(Xr.data() + std::size_t(s) * std::size_t(d), e, sizeof(float) * std::size_t(d));
        bad_count += int(new_bad) - int(bad[std::size_t(s)]);
        bad[std::size_t(s)] = new_bad;
        // A leaving value much larger than every other cached value: subtracting its weighted
        // term from the numerators cancels catastrophically even when its key did not dominate
        // the denominators (a huge but finite token), so every live row is recomputed exactly.
        const float vleave = vmax[std::size_t(s)];
        {
            float vnew = 0.0f;
            for (int i = 0; i < d; ++i) vnew = std::max(vnew, std::abs(v[i]));
            vmax[std::size_t(s)] = std::isfinite(vnew) ? vnew : std::numeric_limits<float>::infinity();
        }
        float vrest = 0.0f;
        for (int j = 0; j < n; ++j)
            if (j != s) vrest = std::max(vrest, vmax[std::size_t(j)]);
        vrest = std::max(vrest, vmax[std::size_t(s)]);
        const bool value_dominated = t >= n && vleave > kValueDominance * vrest;

        // Every row against the leaving and the new key, all rows at once per head (the new slot
        // and rows not yet created are updated too and ignored: they are recomputed on creation).
        for (int hh = 0; hh < h; ++hh) {
            const ConstRowMatMap Qh = head_block(QT, hh);
            Eigen::Map<Eigen::RowVectorXf> so(So.data() + std::size_t(hh) * un, n);
            Eigen::Map<Eigen::RowVectorXf> sn(Sn.data() + std::size_t(hh) * un, n);
            so.noalias() = Eigen::Map<const Eigen::RowVectorXf>(kold.data() + hh * dh, dh) * Qh;
            sn.noalias() = Eigen::Map<const Eigen::RowVectorXf>(k + hh * dh, dh) * Qh;
        }
        {
            const Eigen::Index hn = Eigen::Index(h) * n;
            Eigen::Map<Eigen::ArrayXf> m(rowm.data(), hn), D(rowD.data(), hn), mag(rowmag.data(), hn);
            Eigen::Map<Eigen::ArrayXf> so(So.data(), hn), sn(Sn.data(), hn);
            // Online softmax: new reference max(m, s_new); r rescales the old terms.
            Eigen::Map<Eigen::ArrayXf> mnew(Sh.data(), hn);
            mnew = m.max(sn);
            so = (so - mnew).exp();   // w_old
            sn = (sn - mnew).exp();   // w_new
            m = (m - mnew).exp();     // rescale factor (m is rewritten below)
            D = D * m - so + sn;
            mag = mag * m + so + sn;
            // AV rows: AV = AV * r + w_new v_new - w_old v_old, vectorised over the n rows.
            for (int hh = 0; hh < h; ++hh) {
                const auto off = std::size_t(hh) * un;
                Eigen::Map<const Eigen::ArrayXf> rr(rowm.data() + off, n), wo(So.data() + off, n), wn(Sn.data() + off, n);
                for (int c = 0; c < dh; ++c) {
                    const int i = hh * dh + c;
                    Eigen::Map<Eigen::ArrayXf> av(AVT.data() + std::size_t(i) * un, n);
                    av = av * rr + v[i] * wn - vold.data()[i] * wo;
                }
            }
            m = mnew;
        }
        // Rows whose leaving key dominated (cancellation) are recomputed exactly.
        const int live = int(std::min<std::int64_t>(t, n - 1));
        for (int j = 1; j <= live; ++j) {
            const int i = int((t - j) % n);
            bool need = false;
            for (int hh = 0; hh < h && !need; ++hh) {
                const std::size_t idx = std::size_t(hh) * un + std::size_t(i);
                need = !(rowD.data()[idx] >= rowmag.data()[idx] * kRecomputeRatio);
            }
            if (!need && !value_dominated) continue;
            if (bad_count == 0)
                recompute_row(i);
            else
                dirty[std::size_t(i)] = 1;
        }
        // The new row, computed exactly (part of the regular step cost, not extra).
        recompute_row(s);
        extra_macs -= 2 * std::int64_t(n) * d;

        if (bad_count > 0) {
            for (int j = 0; j <= live; ++j) dirty[std::size_t((t - j) % n)] = 1;
        } else {
            for (int j = 1; j <= live; ++j) {
                const int i = int((t - j) % n);
                if (!dirty[std::size_t(i)]) continue;
                recompute_row(i);
                dirty[std::size_t(i)] = 0;
            }
            dirty[std::size_t(s)] = 0;
        }

        // Attention outputs of every valid row (slot order): O[i, :] = AV[:, i] / D[head, i].
        const int rows = int(std::min<std::int64_t>(t + 1, n));
        RowMatMap O(Ow.data(), rows, d, Eigen::OuterStride<>(d));
        for (int hh = 0; hh < h; ++hh) {
            Eigen::Map<const Eigen::RowVectorXf> Dh(rowD.data() + std::size_t(hh) * un, rows);
            O.middleCols(hh * dh, dh).transpose() =
                (head_block(AVT, hh).leftCols(rows).array().rowwise() / Dh.array()).matrix();
        }
        tail_rows(Lw, Xr.data(), Ow.data(), rows, R0.data());
        return rows;
    }

    // ---- steps ------------------------------------------------------------------------------
    // The PE row of the t-th token since reset: its index in the whole stream, modulo pe_rows.
    int phase_of(std::int64_t tt) const { return M > 0 ? int((first + tt) % M) : 0; }

    void step_continual(const float* token, bool token_bad) {
        const int s = int(t % n);
        const int ph = phase_of(t);
        embed(token, ph, emb.data());
        if (L == 1) {
            const LayerW& Lw = W->layers[0];
            linear_vec(Lw.in_proj, attention_input(Lw, emb.data()), qkv.data(), pool.get());
            for (int i = 0; i < d; ++i) qkv.data()[i] *= scale;
            const bool new_bad = token_bad || !all_finite(qkv.data(), 3 * std::size_t(d));
            bad_count += int(new_bad) - int(bad[std::size_t(s)]);
            bad[std::size_t(s)] = new_bad;
            put_col(KT, s, qkv.data() + d);
            put_col(VT, s, qkv.data() + 2 * d);
            attend_one(qkv.data(), KT.data(), VT.data(), n, n, 0, att.data());
            tail_one(Lw, emb.data(), att.data(), encoded.data());
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
        phase[std::size_t(s)] = phase_of(t);
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
            linear_vec(W->head, enc, logits.data(), pool.get());
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
Stream::Stream(std::shared_ptr<const Model> model, Mode mode) : Stream(std::move(model), mode, StreamOptions{}) {}

Stream::Stream(std::shared_ptr<const Model> model, Mode mode, const StreamOptions& options) {
    if (!model) throw ModelError("Stream: no model");
    if (options.weight_threads < 1 || options.weight_threads > 64)
        throw InputError("StreamOptions::weight_threads must be 1..64, not " + std::to_string(options.weight_threads));
    if (options.spin_us < 0) throw InputError("StreamOptions::spin_us must not be negative");
    m_state = std::make_unique<State>(std::move(model), mode, options);
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
    r.step = st.first + st.t;
    r.warmup = st.t + 1 < st.n;
    r.macs = detail::macs_for_rows(*st.cfg, st.mode, rows).total() + std::max<std::int64_t>(0, st.extra_macs);
    ++st.t;
    return r;
}

void Stream::reset() { m_state->reset(); }
void Stream::reset(std::int64_t first_index) {
    if (first_index < 0) throw InputError("Stream::reset: negative token index " + std::to_string(first_index));
    m_state->reset(first_index);
}
Mode Stream::mode() const { return m_state->mode; }
const Model& Stream::model() const { return *m_state->model; }
std::int64_t Stream::tokens_seen() const { return m_state->t; }
std::size_t Stream::state_bytes() const { return m_state->bytes(); }
int Stream::weight_threads() const { return m_state->pool ? m_state->pool->parts() : 1; }

std::size_t Stream::first_block_rows(std::span<float> out) const {
    const State& st = *m_state;
    if (st.mode != Mode::Continual || st.L < 2 || st.t == 0) return 0;
    const auto rows = std::size_t(std::min<std::int64_t>(st.t, st.n));
    const auto ud = std::size_t(st.d);
    if (out.size() < rows * ud) throw InputError("first_block_rows: output span too small");
    const std::int64_t oldest = st.t - std::int64_t(rows);
    for (std::size_t r = 0; r < rows; ++r) {
        const auto slot = std::size_t((oldest + std::int64_t(r)) % st.n);
        std::memcpy(out.data() + r * ud, st.R0.data() + slot * ud, ud * sizeof(float));
    }
    return rows;
}

}  // namespace colive
