// SPDX-License-Identifier: MIT
// Fuzz target: the safetensors model loader (colive::Model::load_from_memory), i.e. the 8-byte
// header length, the JSON header, the colive config, every tensor entry and the weights.
// A file either loads or is refused with one ModelError line; nothing else may escape, and
// nothing may crash, leak or read out of bounds. A model that loads must also run: small ones
// are streamed through both modes for a few windows.
#include "colive/engine.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

namespace {

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "fuzz_model_loader: property violated: %s\n", what);
    std::abort();
}

void run_streams(const std::shared_ptr<const colive::Model>& model) {
    const colive::ModelConfig& c = model->config();
    // Keep each input cheap: the fuzzer is after parser bugs, not big matrix products.
    const double work = double(c.window) * c.blocks * (double(c.d_model) * (3.0 * c.d_model + c.d_ff) + c.d_in);
    if (c.window > 64 || work > 4e6) return;
    colive::Stream regular(model, colive::Mode::Regular);
    colive::Stream continual(model, colive::Mode::Continual);
    std::vector<float> token(std::size_t(c.d_in));
    const int steps = c.window + 3;
    for (int s = 0; s < steps; ++s) {
        for (std::size_t k = 0; k < token.size(); ++k) token[k] = float(std::sin(0.37 * double(s) + 0.11 * double(k)));
        const colive::StepResult r = regular.step(token);
        const colive::StepResult q = continual.step(token);
        if (r.probs.size() != std::size_t(c.num_classes()) || q.probs.size() != r.probs.size())
            violated("probs width != number of classes");
        if (r.warmup != q.warmup || r.step != s || q.step != s) violated("step/warm-up bookkeeping differs");
        if (r.warmup != (s < c.window - 1)) violated("warm-up flag does not follow the window");
        for (float p : q.probs)
            if (q.finite && !(p >= 0.0f && p <= 1.0f)) violated("finite step with a probability outside [0, 1]");
    }
    // A token of the wrong width must be refused with InputError, not read out of bounds.
    std::vector<float> wrong(token.size() + 1, 0.0f);
    try {
        continual.step(wrong);
        violated("a token of the wrong width was accepted");
    } catch (const colive::InputError&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::shared_ptr<const colive::Model> model;
    try {
        model = colive::Model::load_from_memory(std::span<const std::uint8_t>(data, data ? size : 0), "<fuzz>");
    } catch (const colive::ModelError& e) {
        const std::string msg = e.what();
        static const bool verbose = std::getenv("COLIVE_FUZZ_VERBOSE") != nullptr;
        if (verbose) std::fprintf(stderr, "  -> %s\n", msg.c_str());
        if (msg.empty() || msg.find('\n') != std::string::npos) violated("ModelError is not one line");
        return 0;
    }
    if (!model) violated("load_from_memory returned null");
    if (std::getenv("COLIVE_FUZZ_VERBOSE"))
        std::fprintf(stderr, "  -> loaded: %d blocks, window %d, d_in %d\n", model->config().blocks,
                     model->config().window, model->config().d_in);
    run_streams(model);
    return 0;
}
