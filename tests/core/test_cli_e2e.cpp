// SPDX-License-Identifier: MIT
// End to end: colive-cli on golden token files; its .npy output must match PyTorch's golden
// probabilities (scripts/make_golden.py) on every post-warm-up step, in both modes, for .npy and
// raw .f32 token files; bad inputs exit non-zero with a one-line error.
#include "golden_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <sys/wait.h>
#include <unistd.h>

using namespace colive;
using namespace colive::testing;

namespace {

namespace fs = std::filesystem;

int run(const std::string& args, std::string* output = nullptr) {
    const fs::path log = fs::temp_directory_path() / ("colive_cli_e2e_" + std::to_string(::getpid()) + ".log");
    const std::string cmd = std::string("\"") + COLIVE_CLI_PATH + "\" " + args + " > \"" + log.string() + "\" 2>&1";
    const int rc = std::system(cmd.c_str());
    if (output) {
        std::ifstream in(log);
        std::stringstream ss;
        ss << in.rdbuf();
        *output = ss.str();
    }
    fs::remove(log);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

void check_against_golden(const std::string& case_name, bool raw_tokens, const char* block_kind = "post-norm") {
    const GoldenCase& c = golden_case(case_name);
    ASSERT_FALSE(c.model.empty());
    const fs::path dir = fs::temp_directory_path() / ("colive_e2e_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    std::string tokens = golden_dir() + "/" + c.tokens;
    if (raw_tokens) {
        const npy::Array a = npy::load(tokens);
        tokens = (dir / "tokens.f32").string();
        std::ofstream out(tokens, std::ios::binary);
        out.write(reinterpret_cast<const char*>(a.data.data()), std::streamsize(a.data.size() * sizeof(float)));
    }
    const fs::path out = dir / "probs.npy", enc = dir / "enc.npy";
    std::string log;
    ASSERT_EQ(run("--model \"" + golden_dir() + "/" + c.model + "\" --tokens \"" + tokens + "\" --mode both --out \"" +
                      out.string() + "\" --encoded \"" + enc.string() + "\"",
                  &log),
              0)
        << log;
    EXPECT_NE(log.find("p95"), std::string::npos) << log;
    EXPECT_NE(log.find(block_kind), std::string::npos) << log;
    const npy::Array got = npy::load(out);
    const npy::Array golden = npy::load(golden_dir() + "/" + c.probs);
    const std::size_t T = golden.rows(), C = golden.cols();
    ASSERT_EQ(got.shape, (std::vector<std::size_t>{2, T, C + 1}));
    double worst = 0.0;
    for (std::size_t m = 0; m < 2; ++m)
        for (std::size_t t = 0; t < T; ++t) {
            const float* row = got.data.data() + (m * T + t) * (C + 1);
            const bool warm = t + 1 < std::size_t(c.window);
            EXPECT_EQ(row[C], warm ? 1.0f : 0.0f);
            if (warm) continue;
            for (std::size_t k = 0; k < C; ++k)
                worst = std::max(worst, std::abs(double(row[k]) - double(golden.data[t * C + k])));
        }
    EXPECT_LE(worst, 1e-4);
    EXPECT_EQ(npy::load(enc).shape, (std::vector<std::size_t>{2, T, std::size_t(load_case_model(c)->config().d_model)}));
    std::printf("[ e2e    ] colive-cli %s (%s tokens): max |probs - torch| %.2e\n", case_name.c_str(),
                raw_tokens ? ".f32" : ".npy", worst);
    fs::remove_all(dir);
}

TEST(CliE2E, MatchesTorchGoldenNpyTokens) { check_against_golden("tiny_b2_gelu", false); }
TEST(CliE2E, MatchesTorchGoldenRawTokens) { check_against_golden("tiny_b3_relu", true); }
TEST(CliE2E, MatchesTorchGoldenPreNorm) { check_against_golden("pre_b3_gelu", false, "pre-norm"); }

TEST(CliE2E, HelpVersionAndErrors) {
    std::string log;
    EXPECT_EQ(run("--help", &log), 0);
    EXPECT_NE(log.find("--tokens"), std::string::npos);
    EXPECT_EQ(run("--version", &log), 0);
    EXPECT_NE(log.find("colive-cli "), std::string::npos);
    EXPECT_EQ(run("--nonsense", &log), 2);
    const std::string model = golden_dir() + "/tiny_b1_gelu.safetensors";
    EXPECT_EQ(run("--model \"" + model + "\" --tokens \"" + golden_dir() + "/gtzan.tokens.npy\" --out /dev/null", &log), 1);
    EXPECT_NE(log.find("colive-cli: error: tokens"), std::string::npos) << log;
    EXPECT_EQ(run("--model \"" + golden_dir() + "/tiny.tokens.npy\" --tokens x --out /dev/null", &log), 1);
    EXPECT_NE(log.find("colive-cli: error: model"), std::string::npos) << log;
    EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
    EXPECT_EQ(run("--model \"" + model + "\" --tokens \"" + golden_dir() + "/tiny.tokens.npy\" --mode fast --out /dev/null", &log), 1);
}

}  // namespace
