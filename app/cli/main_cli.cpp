// SPDX-License-Identifier: MIT
// colive-cli: headless runner. Token files -> per-step probabilities (token_runner.cpp).
#include "live_cli.h"
#include "token_runner.h"
#include "version/version.h"

#include <cstring>
#include <iostream>
#include <string>

namespace {

constexpr const char* kUsage =
    // One line per form ("Usage:" / "or:"), the layout help2man turns into the man page's SYNOPSIS.
    "Usage: colive-cli --model M.safetensors --tokens T.npy|T.f32 [--mode regular|continual|both] --out OUT.npy [--encoded ENC.npy] [--quiet]\n"
    "  or:  colive-cli --source SPEC [--mode M] [--model M] [--frames N] [--export OUT.csv|.jsonl] [--loop] [--realtime] [--duration S]\n"
    "  or:  colive-cli --list-devices\n"
    "  or:  colive-cli --help | --version\n"
    "\n"
    "Live sources (camera, microphone, files, demo clips): colive-cli --source x --help.\n"
    "\n"
    "Runs a CoLive model on a token file (T x d_in float32: .npy, or raw little-endian .f32) and\n"
    "writes every step's class probabilities as OUT.npy, shape (T, C+1): C probabilities, then 1.0\n"
    "for warm-up steps (fewer than `window` tokens seen; zero-padded window) else 0.0. With\n"
    "--mode both (default) the shape is (2, T, C+1): [0] regular, [1] continual. --encoded writes\n"
    "the encoder output of the newest token, (T, d_model) or (2, T, d_model).\n"
    "Prints per-mode step latency (median/p95), MACs per step and the regular/continual difference.\n"
    "To check against PyTorch, see scripts/export_model.py --reference.\n";

int usage_error(const std::string& msg) {
    std::cerr << "colive-cli: " << msg << "\n" << kUsage;
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    // Live sources (camera, microphone, files, demo clips): see live_cli.cpp.
    if (colive::cli::wants_live(argc, argv)) return colive::cli::run_live(argc, argv);
    colive::cli::TokenRunOptions opt;
    std::string mode = "both";
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](const char* name) -> const char* {
            if (i + 1 >= argc) return nullptr;
            (void)name;
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            std::cout << kUsage;
            return 0;
        } else if (a == "--version") {
            std::cout << colive::version_line("colive-cli") << "\n";
            return 0;
        } else if (a == "--quiet" || a == "-q") {
            opt.quiet = true;
        } else if (a == "--model" || a == "--tokens" || a == "--mode" || a == "--out" || a == "--encoded") {
            const char* v = value(a.c_str());
            if (!v) return usage_error(a + " needs a value");
            if (a == "--model") opt.model = v;
            if (a == "--tokens") opt.tokens = v;
            if (a == "--mode") mode = v;
            if (a == "--out") opt.out = v;
            if (a == "--encoded") opt.encoded = v;
        } else {
            return usage_error("unknown argument '" + a + "'");
        }
    }
    if (opt.model.empty() || opt.tokens.empty() || opt.out.empty())
        return usage_error("--model, --tokens and --out are required");
    try {
        opt.modes = colive::cli::parse_modes(mode);
        colive::cli::run_tokens(opt, std::cout);
    } catch (const std::exception& e) {
        std::cerr << "colive-cli: error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
