// SPDX-License-Identifier: MIT
// Model file loader, JSON parser and .npy reader: valid files load, every kind of bad file is
// refused with a one-line ModelError naming the problem (and the tensor), never a crash.
#include "golden_util.h"
#include "safetensors_surgery.h"
#include "json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>

using namespace colive;
using namespace colive::testing;

namespace {

// ---- safetensors surgery (safetensors_surgery.h) ---------------------------------------------
using Parts = SafetensorsParts;
Parts split(const std::vector<std::uint8_t>& file) { return split_safetensors(file); }
std::vector<std::uint8_t> join(const std::string& header, const std::vector<std::uint8_t>& data) { return join_safetensors(header, data); }
std::vector<std::uint8_t> join(const Parts& p) { return join_safetensors(p); }
json::Value* entry(Parts& p, const std::string& name) { return &header_entry(p, name); }

json::Value number(std::uint64_t v) {
    json::Value n;
    n.type = json::Value::Type::Number;
    n.text = std::to_string(v);
    n.number = double(v);
    return n;
}

// The colive config of a file as a JSON object, and a setter that writes it back.
json::Value config_of(Parts& p) { return json::parse(entry(p, "__metadata__")->find("colive")->text); }
void set_config(Parts& p, const json::Value& cfg) {
    json::Value* meta = entry(p, "__metadata__");
    for (auto& [k, v] : meta->object)
        if (k == "colive") v.text = cfg.dump();
}
void set_key(json::Value& obj, const std::string& key, json::Value v) {
    for (auto& [k, old] : obj.object)
        if (k == key) {
            old = std::move(v);
            return;
        }
    obj.object.emplace_back(key, std::move(v));
}

std::vector<std::uint8_t> tiny_bytes() { return case_model_bytes(golden_case("tiny_b2_gelu")); }

// The tiny model with config key `key` set to the JSON string `text`.
std::vector<std::uint8_t> tiny_with_string(const std::string& key, const std::string& text) {
    Parts p = split(tiny_bytes());
    json::Value cfg = config_of(p);
    json::Value s;
    s.type = json::Value::Type::String;
    s.text = text;
    set_key(cfg, key, s);
    set_config(p, cfg);
    return join(p);
}

// Expects a ModelError whose single-line message contains every `needles` entry.
void expect_refused(const std::vector<std::uint8_t>& bytes, std::initializer_list<const char*> needles) {
    try {
        Model::load_from_memory(bytes, "<test>");
        ADD_FAILURE() << "model was accepted";
    } catch (const ModelError& e) {
        const std::string msg = e.what();
        EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
        for (const char* n : needles) EXPECT_NE(msg.find(n), std::string::npos) << "message: " << msg << "\nwanted: " << n;
    }
}

// ---- valid files ----------------------------------------------------------------------------
TEST(Loader, LoadsTheGoldenModels) {
    for (const auto& c : golden_cases()) {
        if (c.model.empty() && c.name.find("oadtr") != std::string::npos) continue;  // large; loaded elsewhere
        auto m = load_case_model(c);
        EXPECT_EQ(m->config().window, c.window);
        EXPECT_EQ(m->config().blocks, c.blocks);
    }
    auto m = load_case_model(golden_case("tiny_b2_gelu"));
    const ModelConfig& cfg = m->config();
    EXPECT_EQ(cfg.d_in, 10);
    EXPECT_EQ(cfg.d_model, 16);
    EXPECT_EQ(cfg.heads, 4);
    EXPECT_EQ(cfg.d_ff, 32);
    EXPECT_EQ(cfg.pe_rows, 15);
    EXPECT_EQ(cfg.num_classes(), 5);
    EXPECT_EQ(cfg.activation, Activation::GELU);
    EXPECT_TRUE(cfg.has_input_proj);
    EXPECT_TRUE(cfg.final_norm);
    // Parameters: input 10*16+16, pe 15*16, 2 blocks of (3*16*16+48 + 16*16+16 + 32*16+32 + 16*32+16 + 4*16),
    // final norm 32, head 5*16+5.
    const std::int64_t block = 3 * 16 * 16 + 48 + 16 * 16 + 16 + 32 * 16 + 32 + 16 * 32 + 16 + 4 * 16;
    EXPECT_EQ(m->parameter_count(), 176 + 240 + 2 * block + 32 + 85);
    EXPECT_EQ(std::string(to_string(Mode::Regular)), "regular");
    EXPECT_EQ(std::string(to_string(Activation::ReLU)), "relu");
}

TEST(Loader, NormFirstFlag) {
    EXPECT_FALSE(load_case_model(golden_case("tiny_b2_gelu"))->config().norm_first);
    const auto pre = load_case_model(golden_case("pre_b2_gelu"));
    EXPECT_TRUE(pre->config().norm_first);
    EXPECT_TRUE(pre->config().final_norm);                                           // the encoder's own norm
    EXPECT_FALSE(load_case_model(golden_case("pre_b2_relu"))->config().final_norm);  // exported without one
    EXPECT_EQ(pre->config().metadata.count("norm_first"), 0u);
    expect_refused(tiny_with_string("norm_first", "yes"), {"norm_first", "true or false"});
}

TEST(Loader, LoadFromFileAndUnknownConfigKeysAreKept) {
    const auto bytes = tiny_with_string("backbone", "backbone.onnx");
    const auto path = std::filesystem::temp_directory_path() / "colive_loader_test.safetensors";
    {
        std::ofstream out(path, std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    }
    auto m = Model::load(path);
    EXPECT_EQ(m->config().metadata.at("backbone"), "backbone.onnx");
    EXPECT_EQ(m->path(), path);
    std::filesystem::remove(path);
    EXPECT_THROW(Model::load(path), ModelError);   // now missing
}

// ---- bad files -------------------------------------------------------------------------------
TEST(Loader, RefusesTruncatedFiles) {
    const auto good = tiny_bytes();
    expect_refused({}, {"too short"});
    expect_refused(std::vector<std::uint8_t>(good.begin(), good.begin() + 5), {"too short"});
    expect_refused(std::vector<std::uint8_t>(good.begin(), good.begin() + 40), {"header length"});
    // Cut inside the data: the last tensors' offsets run past the end.
    auto cut = good;
    cut.resize(good.size() - 7);
    expect_refused(cut, {"tensor '", "exceeds"});
}

TEST(Loader, RefusesWrongMagicAndBrokenHeaders) {
    auto good = tiny_bytes();
    auto zip = good;
    const std::uint8_t pk[8] = {'P', 'K', 3, 4, 20, 0, 0, 0};
    std::memcpy(zip.data(), pk, 8);
    expect_refused(zip, {"not a safetensors"});
    auto notjson = good;
    notjson[8] = '[';
    expect_refused(notjson, {"not a safetensors"});
    Parts p = split(good);
    std::string h = p.header.dump();
    expect_refused(join(h.substr(0, h.size() - 1) + ",}", p.data), {"JSON"});                // trailing comma
    expect_refused(join("{\"a\":1,\"a\":2}", p.data), {"duplicate key"});
    expect_refused(join("{}", {}), {"no __metadata__"});
}

TEST(Loader, RefusesHugeDeclaredSizes) {
    auto good = tiny_bytes();
    auto huge_header = good;
    for (int i = 0; i < 8; ++i) huge_header[std::size_t(i)] = 0xff;   // 2^64-1
    expect_refused(huge_header, {"header length"});
    {
        Parts p = split(good);
        auto* e = entry(p, "layers.0.linear1.weight");
        set_key(*e, "shape", json::parse("[1099511627776, 1099511627776]"));
        expect_refused(join(p), {"layers.0.linear1.weight"});
    }
    {
        Parts p = split(good);
        auto* e = entry(p, "layers.0.linear1.weight");
        set_key(*e, "shape", json::parse("[1048576, 1048576, 1048576]"));
        expect_refused(join(p), {"layers.0.linear1.weight", "too many elements"});
    }
    {
        Parts p = split(good);
        auto* e = entry(p, "head.weight");
        set_key(*e, "data_offsets", json::parse("[0, 18446744073709551615]"));
        expect_refused(join(p), {"head.weight", "exceeds"});
    }
    {
        Parts p = split(good);
        auto* e = entry(p, "head.weight");
        set_key(*e, "data_offsets", json::parse("[0, 99999999999999999999999]"));   // > uint64
        expect_refused(join(p), {"head.weight", "data_offsets"});
    }
    {
        Parts p = split(good);
        json::Value cfg = config_of(p);
        set_key(cfg, "window", number(1u << 30));
        set_config(p, cfg);
        expect_refused(join(p), {"window"});
    }
}

TEST(Loader, RefusesWrongShapesDtypesAndMissingTensors) {
    const auto good = tiny_bytes();
    {
        Parts p = split(good);
        set_key(*entry(p, "layers.1.linear2.weight"), "shape", json::parse("[32, 16]"));   // transposed
        expect_refused(join(p), {"layers.1.linear2.weight", "[32, 16]", "[16, 32]"});
    }
    {
        Parts p = split(good);
        json::Value s;
        s.type = json::Value::Type::String;
        s.text = "F16";
        set_key(*entry(p, "norm.bias"), "dtype", s);
        expect_refused(join(p), {"norm.bias", "F16"});
    }
    {
        Parts p = split(good);
        auto& obj = p.header.object;
        obj.erase(std::remove_if(obj.begin(), obj.end(), [](auto& kv) { return kv.first == "layers.1.norm2.weight"; }),
                  obj.end());
        expect_refused(join(p), {"layers.1.norm2.weight", "missing"});
    }
    {
        Parts p = split(good);
        json::Value cfg = config_of(p);
        set_key(cfg, "d_ff", number(64));   // config disagrees with the tensors
        set_config(p, cfg);
        expect_refused(join(p), {"layers.0.linear1.weight", "[64, 16]"});
    }
    {
        Parts p = split(good);
        json::Value cfg = config_of(p);
        set_key(cfg, "blocks", number(1));   // layer 1 tensors are now unexpected
        set_config(p, cfg);
        expect_refused(join(p), {"unexpected tensor 'layers.1."});
    }
    {
        Parts p = split(good);
        json::Value cfg = config_of(p);
        set_key(cfg, "heads", number(3));
        set_config(p, cfg);
        expect_refused(join(p), {"not divisible"});
    }
    {
        Parts p = split(good);
        json::Value cfg = config_of(p);
        json::Value s;
        s.type = json::Value::Type::String;
        s.text = "swish";
        set_key(cfg, "activation", s);
        set_config(p, cfg);
        expect_refused(join(p), {"activation"});
    }
    {
        Parts p = split(good);
        // Two tensors claiming the same bytes.
        set_key(*entry(p, "norm.bias"), "data_offsets", *entry(p, "norm.weight")->find("data_offsets"));
        expect_refused(join(p), {"overlaps"});
    }
}

TEST(Loader, RefusesNonFiniteWeights) {
    const auto good = tiny_bytes();
    for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
        Parts p = split(good);
        const json::Value* offs = entry(p, "layers.0.self_attn.out_proj.weight")->find("data_offsets");
        const auto begin = std::size_t(offs->array[0].number);
        std::memcpy(p.data.data() + begin + 4 * 17, &bad, 4);
        expect_refused(join(p), {"layers.0.self_attn.out_proj.weight", std::isnan(bad) ? "NaN" : "Inf"});
    }
}

// ---- JSON -------------------------------------------------------------------------------------
TEST(Json, ParsesValidDocuments) {
    const json::Value v = json::parse(R"( {"a": [1, -2.5e3, true, false, null], "s": "x\u00e9\ud83d\ude00\n", "o": {}} )");
    ASSERT_TRUE(v.is_object());
    const json::Value* a = v.find("a");
    ASSERT_TRUE(a && a->is_array());
    EXPECT_EQ(a->array.size(), 5u);
    EXPECT_EQ(a->array[1].number, -2500.0);
    EXPECT_EQ(a->array[0].as_uint64().value(), 1u);
    EXPECT_FALSE(a->array[1].as_uint64().has_value());
    EXPECT_EQ(v.find("s")->text, "x\xc3\xa9\xf0\x9f\x98\x80\n");
    EXPECT_EQ(json::parse("18446744073709551615").as_uint64().value(), 18446744073709551615ull);
    EXPECT_FALSE(json::parse("18446744073709551616").as_uint64().has_value());
    EXPECT_EQ(json::parse("4.0").as_int(0, 10).value(), 4);
    EXPECT_FALSE(json::parse("4.5").as_int(0, 10).has_value());
    EXPECT_EQ(json::parse(v.dump()).dump(), v.dump());
}

TEST(Json, RejectsInvalidDocuments) {
    for (const char* bad : {"", "{", "[1,]", "{\"a\":1,}", "// c\n{}", "{'a':1}", "01", "1.", "-", "+1", "1e",
                            "\"\\x\"", "\"\\ud800\"", "\"a\nb\"", "tru", "nul", "{} {}", "{\"a\" 1}", "[1 2]",
                            "\"\xff\"", "\"\xc0\xaf\"", "NaN", "Infinity", "{\"a\":1,\"a\":1}"}) {
        EXPECT_THROW(json::parse(bad), json::JsonError) << bad;
    }
    std::string deep(1000, '[');
    EXPECT_THROW(json::parse(deep), json::JsonError);
}

// ---- npy --------------------------------------------------------------------------------------
TEST(Npy, RoundTripAndErrors) {
    const auto path = std::filesystem::temp_directory_path() / "colive_npy_test.npy";
    std::vector<float> v = {1.0f, -2.0f, 3.5f, 0.25f, 7.0f, 8.0f};
    npy::save(path, v, {2, 3});
    npy::Array a = npy::load(path);
    EXPECT_EQ(a.shape, (std::vector<std::size_t>{2, 3}));
    EXPECT_EQ(a.data, v);
    EXPECT_EQ(a.rows(), 2u);
    EXPECT_EQ(a.cols(), 3u);
    std::filesystem::remove(path);
    EXPECT_THROW(npy::load(path), InputError);
    const std::vector<std::uint8_t> junk = {'n', 'o', 't', ' ', 'n', 'p', 'y', 0, 0, 0, 0, 0};
    EXPECT_THROW(npy::parse(junk), InputError);
    // Golden tokens written by numpy parse.
    EXPECT_EQ(npy::load(golden_dir() + "/tiny.tokens.npy").cols(), 10u);
}

}  // namespace
