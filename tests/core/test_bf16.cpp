// SPDX-License-Identifier: MIT
// 16-bit model files (tests/golden/bf16/, scripts/make_golden_bf16.py): torch models whose weights
// were rounded to bfloat16 / float16, exported as BF16 / F16 safetensors, with torch's float64
// outputs on every full window as the oracle. Checks that
//  - the loader widens BF16 and F16 exactly, and keeps the compact bf16 copy for exactly the Linear
//    weights it should (BF16 files, >= 64 columns), none for F16;
//  - regular and continual outputs (continual streaming the bf16 copy) match torch to the last
//    float32 digits, agree with each other, and equal the float32-streaming run up to summation order;
//  - malformed BF16/F16 tensors are refused with one-line errors.
#include "golden_util.h"
#include "safetensors_surgery.h"
#include "engine_internal.h"
#include "json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

using namespace colive;
using namespace colive::testing;

namespace {

constexpr double kTol = 1e-4;   // as the float32 golden tests (torch's own float32 error is ~1e-6)

std::string dir() { return std::string(COLIVE_GOLDEN_DIR) + "/bf16"; }

struct Outputs {
    std::vector<float> encoded, probs;   // (T, d), (T, C)
    std::vector<bool> warmup;
};

Outputs run(const std::shared_ptr<const Model>& model, Mode mode, const npy::Array& tokens) {
    Stream s(model, mode);
    Outputs r;
    const std::size_t din = tokens.cols();
    for (std::size_t t = 0; t < tokens.rows(); ++t) {
        const StepResult res = s.step(std::span<const float>(tokens.data.data() + t * din, din));
        EXPECT_TRUE(res.finite);
        r.encoded.insert(r.encoded.end(), res.encoded.begin(), res.encoded.end());
        r.probs.insert(r.probs.end(), res.probs.begin(), res.probs.end());
        r.warmup.push_back(res.warmup);
    }
    return r;
}

// Max |a - b| over the steps that are not warm-up.
double max_err(const std::vector<float>& a, const std::vector<float>& b, const std::vector<bool>& warm, std::size_t w) {
    double e = 0.0;
    for (std::size_t t = 0; t < warm.size(); ++t) {
        if (warm[t]) continue;
        for (std::size_t j = 0; j < w; ++j) e = std::max(e, std::fabs(double(a[t * w + j]) - double(b[t * w + j])));
    }
    return e;
}

class Bf16Golden : public ::testing::TestWithParam<const char*> {};

TEST_P(Bf16Golden, MatchesTorchWithTheRoundedWeights) {
    const std::string name = GetParam();
    const bool is_bf16 = name.rfind("bf16", 0) == 0;
    const auto bytes = read_bytes(dir() + "/" + name + ".safetensors");
    auto model = Model::load_from_memory(bytes, name);
    auto model_f32 = Model::load_from_memory(bytes, name, LoadOptions{false});
    const ModelConfig& c = model->config();
    const auto tokens = npy::load(dir() + "/" + name + ".tokens.npy");
    const auto enc = npy::load(dir() + "/" + name + ".encoded.npy");
    const auto probs = npy::load(dir() + "/" + name + ".probs.npy");
    const std::size_t d = std::size_t(c.d_model), C = std::size_t(c.num_classes());
    ASSERT_EQ(enc.cols(), d);
    ASSERT_EQ(probs.cols(), C);
    ASSERT_EQ(tokens.rows(), enc.rows());

    // Which weights have a compact copy: every Linear weight of >= 64 columns (all of them here:
    // d_in 80, d 64, d_ff 128) of a BF16 file; none of an F16 file (float16 values are generally
    // not bf16 values), none with compact_bf16 = false.
    const std::int64_t din = c.d_in, dm = c.d_model, f = c.d_ff;
    const std::int64_t linear = dm * din + std::int64_t(c.blocks) * (3 * dm * dm + dm * dm + 2 * f * dm) + std::int64_t(C) * dm;
    EXPECT_EQ(model->bf16_weight_count(), is_bf16 ? linear : 0);
    EXPECT_EQ(model_f32->bf16_weight_count(), 0);
    EXPECT_EQ(model->parameter_count(), model_f32->parameter_count());
    if (is_bf16) {
        const LayerW& L = model->impl().layers[0];
        ASSERT_NE(L.in_proj.w16, nullptr);
        // The copy holds exactly the upper halves of the float32 values.
        for (int k = 0; k < L.in_proj.out * L.in_proj.in; ++k) {
            std::uint32_t u;
            std::memcpy(&u, &L.in_proj.w[k], 4);
            ASSERT_EQ(u & 0xffffu, 0u);
            ASSERT_EQ(std::uint16_t(u >> 16), L.in_proj.w16[k]);
        }
    }

    // Golden rows are NaN during warm-up; the engine marks the same steps.
    std::vector<bool> warm(tokens.rows());
    for (std::size_t t = 0; t < tokens.rows(); ++t) warm[t] = std::isnan(enc.data[t * d]);

    const Outputs reg = run(model, Mode::Regular, tokens);
    const Outputs con = run(model, Mode::Continual, tokens);
    const Outputs con32 = run(model_f32, Mode::Continual, tokens);
    EXPECT_EQ(reg.warmup, warm);
    EXPECT_EQ(con.warmup, warm);
    const double e_reg = max_err(reg.encoded, enc.data, warm, d), e_con = max_err(con.encoded, enc.data, warm, d);
    const double p_reg = max_err(reg.probs, probs.data, warm, C), p_con = max_err(con.probs, probs.data, warm, C);
    std::printf("%s: max |engine - torch float64|: encoded regular %.2e continual %.2e, probs %.2e / %.2e; "
                "continual bf16 vs float32 streaming %.2e\n",
                name.c_str(), e_reg, e_con, p_reg, p_con, max_err(con.encoded, con32.encoded, warm, d));
    EXPECT_LE(e_reg, kTol);
    EXPECT_LE(e_con, kTol);
    EXPECT_LE(p_reg, kTol);
    EXPECT_LE(p_con, kTol);
    // Regular and continual agree with each other, and the compact copy changes nothing but the
    // summation order.
    EXPECT_LE(max_err(reg.encoded, con.encoded, warm, d), kTol);
    EXPECT_LE(max_err(con.encoded, con32.encoded, warm, d), 1e-5);
    // Warm-up steps too (both modes define them the same way).
    std::vector<bool> none(warm.size(), false);
    EXPECT_LE(max_err(reg.encoded, con.encoded, none, d), kTol);
}

INSTANTIATE_TEST_SUITE_P(Files, Bf16Golden,
                         ::testing::Values("bf16_b1_gelu", "bf16_b2_relu", "f16_b1_gelu", "bf16_pre_b2_gelu"));

// ---- malformed 16-bit tensors ----------------------------------------------------------------
using Parts = SafetensorsParts;
Parts split(const std::vector<std::uint8_t>& file) { return split_safetensors(file); }
std::vector<std::uint8_t> join(const Parts& p) { return join_safetensors(p); }
json::Value& entry(Parts& p, const std::string& name) { return header_entry(p, name); }

void set(json::Value& obj, const std::string& key, const std::string& json_text) {
    for (auto& [k, v] : obj.object)
        if (k == key) v = json::parse(json_text);
}

std::uint64_t begin_of(Parts& p, const std::string& name) {
    return std::uint64_t(entry(p, name).find("data_offsets")->array[0].number);
}

void expect_refused(const std::vector<std::uint8_t>& bytes, std::initializer_list<const char*> needles) {
    try {
        Model::load_from_memory(bytes, "<bad>");
        ADD_FAILURE() << "loaded a malformed model";
    } catch (const ModelError& e) {
        const std::string msg = e.what();
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
        for (const char* n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "'" << n << "' not in: " << msg;
    }
}

TEST(Bf16Loader, RefusesMalformedSixteenBitTensors) {
    const auto bf = read_bytes(dir() + "/bf16_b1_gelu.safetensors");
    const auto hf = read_bytes(dir() + "/f16_b1_gelu.safetensors");
    {   // BF16 tensor declared with the byte count of F32
        Parts p = split(bf);
        set(entry(p, "norm.bias"), "dtype", "\"F32\"");
        expect_refused(join(p), {"norm.bias", "F32", "bytes"});
    }
    {   // F32-sized data declared as BF16 (an F32 file relabelled): the size does not match
        Parts p = split(read_bytes(golden_dir() + "/tiny_b1_gelu.safetensors"));
        set(entry(p, "layers.0.linear1.weight"), "dtype", "\"BF16\"");
        expect_refused(join(p), {"layers.0.linear1.weight", "BF16", "needs"});
    }
    {   // an F16 tensor whose shape promises more elements than its bytes hold
        Parts p = split(hf);
        set(entry(p, "head.bias"), "shape", "[6]");
        expect_refused(join(p), {"head.bias"});
    }
    {   // NaN as BF16 (0x7fc0) in a weight matrix
        Parts p = split(bf);
        const auto b = begin_of(p, "layers.0.linear2.weight");
        p.data[b + 2] = 0xc0;
        p.data[b + 3] = 0x7f;
        expect_refused(join(p), {"layers.0.linear2.weight", "non-finite", "NaN", "element 1"});
    }
    {   // +inf as F16 (0x7c00)
        Parts p = split(hf);
        const auto b = begin_of(p, "input_proj.weight");
        p.data[b] = 0x00;
        p.data[b + 1] = 0x7c;
        expect_refused(join(p), {"input_proj.weight", "non-finite", "Inf", "element 0"});
    }
    {   // a dtype the engine does not read
        Parts p = split(bf);
        set(entry(p, "pe.weight"), "dtype", "\"F64\"");
        expect_refused(join(p), {"pe.weight", "F64", "not supported"});
    }
}

TEST(Bf16Loader, WidensHalfPrecisionExactly) {
    // Every F16 bit pattern that is finite widens to the value numpy/IEEE define: check the file's
    // values against a direct decode, including subnormals and negative zero written below.
    Parts p = split(read_bytes(dir() + "/f16_b1_gelu.safetensors"));
    const auto b = begin_of(p, "norm.weight");
    const std::uint16_t patterns[] = {0x0001, 0x03ff, 0x0400, 0x8000, 0x3c00, 0xc000, 0x7bff, 0x8001};
    const double values[] = {std::ldexp(1.0, -24), 1023 * std::ldexp(1.0, -24), std::ldexp(1.0, -14), -0.0, 1.0, -2.0, 65504.0,
                             -std::ldexp(1.0, -24)};
    for (std::size_t i = 0; i < std::size(patterns); ++i) {
        p.data[b + 2 * i] = std::uint8_t(patterns[i] & 0xff);
        p.data[b + 2 * i + 1] = std::uint8_t(patterns[i] >> 8);
    }
    auto model = Model::load_from_memory(join(p), "f16");
    const float* g = model->impl().final_norm.g;
    for (std::size_t i = 0; i < std::size(patterns); ++i) {
        EXPECT_EQ(double(g[i]), values[i]) << "pattern " << patterns[i];
        EXPECT_EQ(std::signbit(g[i]), std::signbit(values[i])) << "pattern " << patterns[i];
    }
}

}  // namespace
