// SPDX-License-Identifier: MIT
// Multiply-accumulate accounting in the paper's convention (spec section 6): Linear layers count
// rows x in x out (+ out per row for the bias), LayerNorm counts its input elements, scaled
// dot-product attention uses the co library's per-head multiplication counts, activations and
// softmax are not counted (ptflops does not hook the functional forms used in the blocks).
#include "engine_internal.h"

namespace colive {

namespace {

using i64 = std::int64_t;

i64 linear(i64 rows, i64 in, i64 out, bool bias) { return rows * in * out + (bias ? rows * out : 0); }
// ptflops' Linear hook counts the bias once per call, not once per row.
i64 linear_ref(i64 rows, i64 in, i64 out, bool bias) { return rows * in * out + (bias ? out : 0); }

// Per head, head width e (co: scaled_dot_prod_attn_flops and friends, multiplications only).
i64 sdpa_regular(i64 rows_q, i64 rows_k, i64 e) { return 2 * rows_q * rows_k * e + 2 * rows_q * e; }
i64 sdpa_retroactive_step(i64 n, i64 e) { return 7 * n * e + 2 * n - 3 * e; }
i64 sdpa_single_output(i64 n, i64 e) { return 2 * n * e + 2 * e; }

struct Dims {
    i64 d_in, d, h, e, n, f, C;
    bool ipb, has_in, final_norm, prenorm;
};

Dims dims(const ModelConfig& c) {
    return Dims{c.d_in, c.d_model, c.heads, c.d_model / (c.heads > 0 ? c.heads : 1), c.window, c.d_ff,
                i64(c.classes.size()), c.in_proj_bias, c.has_input_proj, c.final_norm, c.norm_first};
}

// LayerNorm inputs of the continual retroactive first block and single-output last block with r
// rows in the window (docs/prenorm.md): post-norm normalises what each block outputs (all r rows
// in the first block, the newest in the last); pre-norm normalises the block's attention input
// (the new token in the first block, all r rows in the last, whose keys and values all changed)
// and the residual stream that feeds the FFN (all r rows in the first block, the newest in the last).
i64 retroactive_norms(const Dims& k, i64 r) { return k.prenorm ? k.d + r * k.d : 2 * r * k.d; }
i64 last_block_norms(const Dims& k, i64 r) { return k.prenorm ? r * k.d + k.d : 2 * k.d; }

void head_part(const Dims& k, MacCount& m, bool ref) {
    if (k.final_norm) m.head += k.d;
    if (k.C > 0) m.head += ref ? linear_ref(1, k.d, k.C, true) : linear(1, k.d, k.C, true);
}

}  // namespace

namespace detail {

MacCount macs_for_rows(const ModelConfig& cfg, Mode mode, int rows_in) {
    const Dims k = dims(cfg);
    const i64 r = rows_in;
    MacCount m;
    if (mode == Mode::Regular) {
        if (k.has_in) m.input_proj = linear(r, k.d_in, k.d, true);
        for (int l = 0; l < cfg.blocks; ++l) {
            m.attention += linear(r, k.d, 3 * k.d, k.ipb) + k.h * sdpa_regular(r, r, k.e) + linear(r, k.d, k.d, k.ipb);
            m.feed_forward += linear(r, k.d, k.f, true) + linear(r, k.f, k.d, true);
            m.norm_act += 2 * r * k.d;
        }
    } else {
        if (k.has_in) m.input_proj = linear(1, k.d_in, k.d, true);
        if (cfg.blocks == 1) {
            m.attention += linear(1, k.d, 3 * k.d, k.ipb) + k.h * sdpa_single_output(k.n, k.e) +
                           linear(1, k.d, k.d, k.ipb);
            m.feed_forward += linear(1, k.d, k.f, true) + linear(1, k.f, k.d, true);
            m.norm_act += 2 * k.d;
        } else {
            // Retroactive first block: one token in-projected, all rows out-projected and FFN'd.
            m.attention += linear(1, k.d, 3 * k.d, k.ipb) + k.h * sdpa_retroactive_step(k.n, k.e) +
                           linear(r, k.d, k.d, k.ipb);
            m.feed_forward += linear(r, k.d, k.f, true) + linear(r, k.f, k.d, true);
            m.norm_act += retroactive_norms(k, r);
            // Regular middle blocks.
            for (int l = 1; l + 1 < cfg.blocks; ++l) {
                m.attention +=
                    linear(r, k.d, 3 * k.d, k.ipb) + k.h * sdpa_regular(r, r, k.e) + linear(r, k.d, k.d, k.ipb);
                m.feed_forward += linear(r, k.d, k.f, true) + linear(r, k.f, k.d, true);
                m.norm_act += 2 * r * k.d;
            }
            // Single-output last block: q for the newest row only, k and v for every row.
            m.attention += linear(1, k.d, k.d, k.ipb) + linear(r, k.d, 2 * k.d, k.ipb) +
                           k.h * sdpa_single_output(r, k.e) + linear(1, k.d, k.d, k.ipb);
            m.feed_forward += linear(1, k.d, k.f, true) + linear(1, k.f, k.d, true);
            m.norm_act += last_block_norms(k, r);
        }
    }
    head_part(k, m, false);
    return m;
}

}  // namespace detail

MacCount macs_per_step(const ModelConfig& cfg, Mode mode) { return detail::macs_for_rows(cfg, mode, cfg.window); }

MacCount reference_macs_per_step(const ModelConfig& cfg, Mode mode) {
    const Dims k = dims(cfg);
    const i64 n = k.n;
    MacCount m;
    if (mode == Mode::Regular) {
        // OadTR-style regular encoder as ptflops sees it: every Linear and LayerNorm over the n
        // rows; the attention matmuls (torch.matmul) are not hooked and so not counted.
        if (k.has_in) m.input_proj = linear_ref(n, k.d_in, k.d, true);
        for (int l = 0; l < cfg.blocks; ++l) {
            m.attention += linear_ref(n, k.d, 3 * k.d, k.ipb) + linear_ref(n, k.d, k.d, true);
            m.feed_forward += linear_ref(n, k.d, k.f, true) + linear_ref(n, k.f, k.d, true);
            m.norm_act += 2 * n * k.d;
        }
        if (k.final_norm) m.head += n * k.d;
        if (k.C > 0) m.head += linear_ref(1, k.d, k.C, true);
        return m;
    }
    // co 1.2.4 in forward_step mode under ptflops 0.6.8 (CoOadTR main.py).
    if (k.has_in) m.input_proj = linear_ref(1, k.d_in, k.d, true);
    auto mha = [&](i64 rows_in_proj, i64 sdpa, i64 rows_out) {
        i64 a = rows_in_proj * 3 * k.d * k.d + (k.ipb ? 3 * rows_in_proj * k.d : 0) + k.h * sdpa +
                rows_out * k.d * k.d + (k.ipb ? rows_out * k.d : 0);
        return a;
    };
    if (cfg.blocks == 1) {
        m.attention += mha(1, sdpa_single_output(n, k.e), 1);
        m.feed_forward += linear_ref(1, k.d, k.f, true) + linear_ref(1, k.f, k.d, true);
        m.norm_act += 2 * k.d;
    } else {
        m.attention += mha(1, sdpa_retroactive_step(n, k.e), n);
        m.feed_forward += linear_ref(n, k.d, k.f, true) + linear_ref(n, k.f, k.d, true);
        m.norm_act += retroactive_norms(k, n);
        for (int l = 1; l + 1 < cfg.blocks; ++l) {
            m.attention += mha(n, sdpa_regular(n, n, k.e), n);
            m.feed_forward += linear_ref(n, k.d, k.f, true) + linear_ref(n, k.f, k.d, true);
            m.norm_act += 2 * n * k.d;
        }
        // co's last block (single_output_forward) in-projects q, k and v for all n rows.
        m.attention += mha(n, sdpa_single_output(n, k.e), 1);
        m.feed_forward += linear_ref(1, k.d, k.f, true) + linear_ref(1, k.f, k.d, true);
        m.norm_act += last_block_norms(k, n);
    }
    head_part(k, m, true);
    return m;
}

ModelConfig oadtr_paper_config(int d_in, int blocks) {
    ModelConfig c;
    c.d_in = d_in;
    c.d_model = 1024;
    c.heads = 8;
    c.d_ff = 1024;
    c.window = 64;
    c.blocks = blocks;
    c.pe_rows = 127;
    c.in_proj_bias = false;
    c.final_norm = true;
    c.classes.assign(22, "c");
    return c;
}

}  // namespace colive
