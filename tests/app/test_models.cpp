// SPDX-License-Identifier: MIT
#include "test_models.h"

#include "colive/features.h"
#include "colive/pose_tokens.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace fs = std::filesystem;

namespace colive::test {
namespace {

std::string json_str(const std::string& s) {
    std::string o = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        o += c;
    }
    return o + "\"";
}

struct Tensor {
    std::string name;
    std::vector<int> shape;
    std::vector<float> data;
};

}  // namespace

void write_tiny_model(const fs::path& path, const TinyModelSpec& s) {
    std::mt19937 rng(s.seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::vector<Tensor> ts;
    auto add = [&](const std::string& name, std::vector<int> shape, float scale, float offset = 0.0f) {
        Tensor t{name, shape, {}};
        std::size_t n = 1;
        for (int d : shape) n *= static_cast<std::size_t>(d);
        t.data.resize(n);
        for (auto& v : t.data) v = offset + scale * nd(rng);
        ts.push_back(std::move(t));
    };
    const int d = s.d_model;
    const int C = static_cast<int>(s.classes.size());
    add("input_proj.weight", {d, s.d_in}, 1.0f / std::sqrt(static_cast<float>(s.d_in)));
    add("input_proj.bias", {d}, 0.05f);
    add("pe.weight", {2 * s.window, d}, 0.1f);
    for (int i = 0; i < s.blocks; ++i) {
        const std::string p = "layers." + std::to_string(i) + ".";
        const float sd = 1.0f / std::sqrt(static_cast<float>(d));
        add(p + "self_attn.in_proj_weight", {3 * d, d}, sd);
        add(p + "self_attn.in_proj_bias", {3 * d}, 0.02f);
        add(p + "self_attn.out_proj.weight", {d, d}, sd);
        add(p + "self_attn.out_proj.bias", {d}, 0.02f);
        add(p + "linear1.weight", {s.d_ff, d}, sd);
        add(p + "linear1.bias", {s.d_ff}, 0.02f);
        add(p + "linear2.weight", {d, s.d_ff}, 1.0f / std::sqrt(static_cast<float>(s.d_ff)));
        add(p + "linear2.bias", {d}, 0.02f);
        add(p + "norm1.weight", {d}, 0.05f, 1.0f);
        add(p + "norm1.bias", {d}, 0.02f);
        add(p + "norm2.weight", {d}, 0.05f, 1.0f);
        add(p + "norm2.bias", {d}, 0.02f);
    }
    add("norm.weight", {d}, 0.05f, 1.0f);
    add("norm.bias", {d}, 0.02f);
    add("head.weight", {C, d}, 1.0f);   // large enough that classes differ visibly
    add("head.bias", {C}, 0.1f);

    std::ostringstream cfg;
    cfg << "{\"name\": " << json_str(s.name) << ", \"modality\": " << json_str(s.modality)
        << ", \"features\": " << json_str(s.features) << ", \"d_in\": " << s.d_in << ", \"d_model\": " << d
        << ", \"heads\": " << s.heads << ", \"d_ff\": " << s.d_ff << ", \"window\": " << s.window
        << ", \"blocks\": " << s.blocks << ", \"pe_rows\": " << 2 * s.window
        << ", \"activation\": \"gelu\", \"ln_eps\": 1e-05, \"in_proj_bias\": true, \"input_proj\": true"
        << ", \"final_norm\": true, \"token_rate_hz\": " << s.token_rate_hz << ", \"classes\": [";
    for (int i = 0; i < C; ++i) cfg << (i ? ", " : "") << json_str(s.classes[static_cast<std::size_t>(i)]);
    cfg << "]}";

    std::ostringstream h;
    h << "{";
    std::size_t off = 0;
    for (const auto& t : ts) {
        h << json_str(t.name) << ":{\"dtype\":\"F32\",\"shape\":[";
        for (std::size_t i = 0; i < t.shape.size(); ++i) h << (i ? "," : "") << t.shape[i];
        const std::size_t bytes = t.data.size() * sizeof(float);
        h << "],\"data_offsets\":[" << off << "," << off + bytes << "]},";
        off += bytes;
    }
    h << "\"__metadata__\":{\"colive\":" << json_str(cfg.str()) << "}}";
    std::string header = h.str();
    while (header.size() % 8) header += ' ';
    std::ofstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot write " + path.string());
    const std::uint64_t n = header.size();
    unsigned char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>((n >> (8 * i)) & 0xff);
    f.write(reinterpret_cast<const char*>(len), 8);
    f.write(header.data(), static_cast<std::streamsize>(header.size()));
    for (const auto& t : ts) f.write(reinterpret_cast<const char*>(t.data.data()), static_cast<std::streamsize>(t.data.size() * sizeof(float)));
}

fs::path write_tiny_models(const fs::path& dir_in) {
    static fs::path cached;
    fs::path dir = dir_in;
    if (dir.empty()) {
        if (!cached.empty()) return cached;
        dir = fs::temp_directory_path() / ("colive-tiny-models-" + std::to_string(::getpid()));
        cached = dir;
        std::atexit([] {
            std::error_code ec;
            fs::remove_all(cached, ec);
        });
    }
    fs::create_directories(dir);
    TinyModelSpec v;
    v.name = "tiny_video";
    v.modality = "video";
    v.features = VideoFeatures::id();
    v.d_in = VideoFeatures().dim();
    v.window = 8;
    v.token_rate_hz = 10.0;
    v.classes = {"still", "left", "right", "wave"};
    write_tiny_model(dir / "tiny_video.safetensors", v);
    TinyModelSpec a;
    a.name = "tiny_audio";
    a.modality = "audio";
    a.features = AudioFeatures::id();
    a.d_in = AudioFeatures().dim();
    a.window = 6;
    a.token_rate_hz = 1.0 / AudioFeatureParams{}.token_hop_s;
    a.classes = {"quiet", "tone", "noise"};
    a.seed = 2;
    write_tiny_model(dir / "tiny_audio.safetensors", a);
    TinyModelSpec pz = v;   // body keypoint tokens (pose-kp-v1)
    pz.name = "tiny_pose";
    pz.features = PoseTokenizer::id();
    pz.d_in = PoseTokenizer::kDim;
    pz.classes = {"none", "swipe_left", "swipe_right", "wave"};
    pz.seed = 4;
    write_tiny_model(dir / "tiny_pose.safetensors", pz);
    TinyModelSpec pz2 = pz;   // pose-kp-v2 (v1 + the rest-relative block)
    pz2.name = "tiny_pose_v2";
    pz2.features = PoseTokenizer::id(2);
    pz2.d_in = PoseTokenizer::dim_of(2);
    pz2.seed = 5;
    write_tiny_model(dir / "tiny_pose_v2.safetensors", pz2);
    TinyModelSpec pz3 = pz;   // pose-kp-v3 (v2 + the hand landmark block)
    pz3.name = "tiny_pose_v3";
    pz3.features = PoseTokenizer::id(3);
    pz3.d_in = PoseTokenizer::dim_of(3);
    pz3.seed = 6;
    write_tiny_model(dir / "tiny_pose_v3.safetensors", pz3);
    TinyModelSpec pz4 = pz3;   // pose-kp-v4 (v3's tokens, hands by HandFinder)
    pz4.name = "tiny_pose_v4";
    pz4.features = PoseTokenizer::id(4);
    pz4.seed = 7;
    write_tiny_model(dir / "tiny_pose_v4.safetensors", pz4);
    TinyModelSpec b = v;
    b.name = "tiny_video_badwidth";
    b.d_in = v.d_in + 7;
    b.classes = {"a", "b"};
    b.window = 4;
    b.seed = 3;
    write_tiny_model(dir / "tiny_video_badwidth.safetensors", b);
    return dir;
}

}  // namespace colive::test
