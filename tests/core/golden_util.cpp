// SPDX-License-Identifier: MIT
#include "golden_util.h"

#include "json.h"

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace colive::testing {

std::string golden_dir() { return std::string(COLIVE_GOLDEN_DIR) + "/engine"; }

std::vector<std::uint8_t> read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    return std::vector<std::uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

namespace {

std::string str(const json::Value& o, const char* key) {
    const json::Value* v = o.find(key);
    return v && v->is_string() ? v->text : std::string();
}
double num(const json::Value& o, const char* key, double def) {
    const json::Value* v = o.find(key);
    return v && v->is_number() ? v->number : def;
}

std::vector<GoldenCase> parse_index() {
    const auto bytes = read_bytes(golden_dir() + "/index.json");
    const json::Value root = json::parse(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    std::vector<GoldenCase> out;
    for (const json::Value& c : root.find("cases")->array) {
        GoldenCase g;
        g.name = str(c, "name");
        g.model = str(c, "model");
        g.recipe = str(c, "recipe");
        g.tokens = str(c, "tokens");
        g.probs = str(c, "probs");
        g.encoded = str(c, "encoded");
        g.block0 = str(c, "block0");
        if (const json::Value* s = c.find("block0_steps"))
            for (const auto& v : s->array) g.block0_steps.push_back(int(v.number));
        g.steps = int(num(c, "steps", -1));
        g.window = int(num(c, "window", 0));
        g.blocks = int(num(c, "blocks", 0));
        g.scale = num(c, "scale", 1.0);
        g.torch_f32_err_encoded = num(c, "torch_f32_err_encoded", 0.0);
        g.torch_f32_err_probs = num(c, "torch_f32_err_probs", 0.0);
        const json::Value* er = c.find("expect_recomputes");
        g.expect_recomputes = er && er->is_bool() ? er->boolean : (g.blocks >= 2 && g.scale >= 50.0);
        out.push_back(std::move(g));
    }
    return out;
}

std::uint64_t splitmix64(std::uint64_t x) {
    std::uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

std::vector<std::uint8_t> expand_recipe(const std::string& path) {
    const auto bytes = read_bytes(path);
    return expand_recipe_text(std::string(bytes.begin(), bytes.end()));
}

}  // namespace

std::vector<std::uint8_t> expand_recipe_text(const std::string& json_text) {
    const json::Value r = json::parse(json_text);
    std::string header = "{";
    std::vector<float> data;
    for (const json::Value& t : r.find("tensors")->array) {
        std::uint64_t count = 1;
        std::string shape = "[";
        for (const auto& s : t.find("shape")->array) {
            count *= std::uint64_t(s.number);
            shape += (shape.size() > 1 ? "," : "") + s.text;
        }
        shape += "]";
        const auto seed = std::uint64_t(t.find("seed")->number);
        const float scale = float(t.find("scale")->number);
        const float offset = float(t.find("offset")->number);
        const std::uint64_t begin = data.size() * 4;
        for (std::uint64_t i = 0; i < count; ++i) {
            const float prod = scale * recipe_uniform(seed, i);   // exact: scale is a power of two
            data.push_back(offset + prod);
        }
        if (header.size() > 1) header += ",";
        header += "\"" + t.find("name")->text + "\":{\"dtype\":\"F32\",\"shape\":" + shape +
                  ",\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(data.size() * 4) + "]}";
    }
    json::Value cfg_text;
    cfg_text.type = json::Value::Type::String;
    cfg_text.text = r.find("config")->dump();
    header += ",\"__metadata__\":{\"colive\":" + cfg_text.dump() + "}}";
    std::vector<std::uint8_t> out;
    out.reserve(8 + header.size() + data.size() * 4);
    const std::uint64_t len = header.size();
    for (int i = 0; i < 8; ++i) out.push_back(std::uint8_t(len >> (8 * i)));
    for (char ch : header) out.push_back(std::uint8_t(ch));
    out.resize(8 + header.size() + data.size() * 4);
    std::memcpy(out.data() + 8 + header.size(), data.data(), data.size() * 4);
    return out;
}

float recipe_uniform(std::uint64_t seed, std::uint64_t i) {
    const std::uint64_t k = splitmix64((seed << 32) + i) >> 40;
    return float(std::int64_t(k)) / float(1 << 23) - 1.0f;
}

std::vector<GoldenCase> golden_cases() {
    static const std::vector<GoldenCase> cases = parse_index();
    return cases;
}

const GoldenCase& golden_case(const std::string& name) {
    static const std::vector<GoldenCase> cases = parse_index();
    for (const auto& c : cases)
        if (c.name == name) return c;
    throw std::runtime_error("no golden case " + name);
}

std::vector<std::uint8_t> case_model_bytes(const GoldenCase& c) {
    if (!c.model.empty()) return read_bytes(golden_dir() + "/" + c.model);
    return expand_recipe(golden_dir() + "/" + c.recipe);
}

std::shared_ptr<const Model> load_case_model(const GoldenCase& c) {
    if (!c.model.empty()) return Model::load(golden_dir() + "/" + c.model);
    const auto bytes = case_model_bytes(c);
    return Model::load_from_memory(bytes, c.recipe);
}

npy::Array case_tokens(const GoldenCase& c) {
    npy::Array a = npy::load(golden_dir() + "/" + c.tokens);
    if (c.steps >= 0 && std::size_t(c.steps) < a.rows()) {
        a.shape[0] = std::size_t(c.steps);
        a.data.resize(a.shape[0] * a.cols());
    }
    for (float& v : a.data) v = float(double(v) * c.scale);
    return a;
}

}  // namespace colive::testing
