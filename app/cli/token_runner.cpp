// SPDX-License-Identifier: MIT
#include "token_runner.h"

#include "colive/npy.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ostream>

namespace colive::cli {

std::vector<Mode> parse_modes(const std::string& text) {
    if (text == "regular") return {Mode::Regular};
    if (text == "continual") return {Mode::Continual};
    if (text == "both") return {Mode::Regular, Mode::Continual};
    throw InputError("--mode must be regular, continual or both, got '" + text + "'");
}

namespace {

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const auto i = std::size_t(std::min<double>(double(v.size() - 1), std::floor(q * double(v.size() - 1) + 0.5)));
    return v[i];
}

}  // namespace

TokenRunResult run_tokens(const TokenRunOptions& opt, std::ostream& log) {
    auto model = Model::load(opt.model);
    const ModelConfig& cfg = model->config();
    const auto din = std::size_t(cfg.d_in);

    npy::Array tokens = opt.tokens.extension() == ".npy" ? npy::load(opt.tokens) : npy::load_raw_f32(opt.tokens, din);
    if (tokens.shape.size() == 1 && tokens.shape[0] == din) tokens.shape = {1, din};
    if (tokens.shape.size() != 2 || tokens.cols() != din)
        throw InputError("tokens '" + opt.tokens.string() + "' must be T x " + std::to_string(din) +
                         " (the model's d_in), got " + std::to_string(tokens.shape.size()) + "-D with " +
                         std::to_string(tokens.cols()) + " columns");
    const std::size_t T = tokens.rows();
    const auto C = std::size_t(cfg.num_classes());
    const auto d = std::size_t(cfg.d_model);
    const std::size_t M = opt.modes.size();
    const std::size_t W = C + 1;

    std::vector<float> out(M * T * W, 0.0f);
    std::vector<float> enc(opt.encoded.empty() ? 0 : M * T * d, 0.0f);
    TokenRunResult result;
    for (std::size_t mi = 0; mi < M; ++mi) {
        Stream stream(model, opt.modes[mi]);
        std::vector<double> ms;
        ms.reserve(T);
        ModeStats st;
        st.mode = opt.modes[mi];
        for (std::size_t t = 0; t < T; ++t) {
            const auto t0 = std::chrono::steady_clock::now();
            const StepResult r = stream.step(std::span<const float>(tokens.data.data() + t * din, din));
            const auto t1 = std::chrono::steady_clock::now();
            ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
            float* row = out.data() + (mi * T + t) * W;
            std::copy(r.probs.begin(), r.probs.end(), row);
            row[C] = r.warmup ? 1.0f : 0.0f;
            if (!enc.empty()) std::copy(r.encoded.begin(), r.encoded.end(), enc.begin() + std::ptrdiff_t((mi * T + t) * d));
            st.nonfinite_steps += !r.finite;
        }
        st.steps = T;
        st.median_ms = percentile(ms, 0.5);
        st.p95_ms = percentile(ms, 0.95);
        st.max_ms = ms.empty() ? 0.0 : *std::max_element(ms.begin(), ms.end());
        st.macs_per_step = macs_per_step(cfg, st.mode).total();
        st.state_bytes = stream.state_bytes();
        result.modes.push_back(st);
    }
    if (M == 2) {
        for (std::size_t t = std::size_t(std::max(cfg.window - 1, 0)); t < T; ++t)
            for (std::size_t k = 0; k < C; ++k) {
                const double a = out[t * W + k], b = out[(T + t) * W + k];
                if (std::isfinite(a) && std::isfinite(b))
                    result.max_mode_difference = std::max(result.max_mode_difference, std::abs(a - b));
            }
    }

    std::vector<std::size_t> shape = {T, W};
    if (M == 2) shape.insert(shape.begin(), 2);
    npy::save(opt.out, out, shape);
    if (!opt.encoded.empty()) {
        std::vector<std::size_t> eshape = {T, d};
        if (M == 2) eshape.insert(eshape.begin(), 2);
        npy::save(opt.encoded, enc, eshape);
    }

    if (!opt.quiet) {
        char line[256];
        std::snprintf(line, sizeof line,
                      "model %s: d_in %d, d_model %d, %d heads, d_ff %d, window %d, %d %s block(s), %zu classes\n",
                      cfg.name.empty() ? opt.model.filename().string().c_str() : cfg.name.c_str(), cfg.d_in, cfg.d_model,
                      cfg.heads, cfg.d_ff, cfg.window, cfg.blocks, cfg.norm_first ? "pre-norm" : "post-norm", C);
        log << line;
        for (const ModeStats& s : result.modes) {
            std::snprintf(line, sizeof line,
                          "%-9s %zu steps: step latency median %.3f ms, p95 %.3f ms, max %.3f ms; %.3f M MACs/step; "
                          "state %.1f KiB; %zu non-finite steps\n",
                          to_string(s.mode), s.steps, s.median_ms, s.p95_ms, s.max_ms, double(s.macs_per_step) / 1e6,
                          double(s.state_bytes) / 1024.0, s.nonfinite_steps);
            log << line;
        }
        if (M == 2) {
            std::snprintf(line, sizeof line, "max |regular - continual| over post-warm-up probabilities: %.3g\n",
                          result.max_mode_difference);
            log << line;
        }
        log << "wrote " << opt.out.string();
        if (!opt.encoded.empty()) log << " and " << opt.encoded.string();
        log << "\n";
    }
    return result;
}

}  // namespace colive::cli
