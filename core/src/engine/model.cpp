// SPDX-License-Identifier: MIT
// Model file loader: safetensors (8-byte little-endian header length, JSON header, raw data);
// tensors F32, BF16 or F16 (widened exactly to float32; Linear weights that are exactly bf16 also
// keep a compact bf16 copy for the continual GEMVs, see LoadOptions).
// Every size, offset, dtype and shape is checked against the file and the config before any
// weight is read; non-finite weights are refused. Errors are one line and name the tensor.
#include "engine_internal.h"
#include "json.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <optional>
#include <string_view>

namespace colive {

static_assert(std::endian::native == std::endian::little, "the model loader assumes a little-endian host");

const char* to_string(Mode m) { return m == Mode::Regular ? "regular" : "continual"; }
const char* to_string(Activation a) { return a == Activation::GELU ? "gelu" : "relu"; }

Model::Model(ModelConfig cfg, std::unique_ptr<Impl> impl, std::filesystem::path path)
    : m_config(std::move(cfg)), m_impl(std::move(impl)), m_path(std::move(path)) {}
Model::~Model() = default;

std::int64_t Model::parameter_count() const { return m_impl->parameters; }
std::int64_t Model::bf16_weight_count() const { return m_impl->bf16_weights; }

namespace {

constexpr std::uint64_t kMaxHeaderBytes = 64ull << 20;        // 64 MiB of JSON is already absurd
constexpr std::uint64_t kMaxDim = 1ull << 20;                  // per dimension
constexpr std::uint64_t kMaxElements = 1ull << 34;             // 64 GiB of float32

std::string shape_str(const std::vector<std::uint64_t>& s) {
    std::string out = "[";
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i) out += ", ";
        out += std::to_string(s[i]);
    }
    return out + "]";
}

enum class DType { F32, BF16, F16 };
const char* dtype_name(DType t) { return t == DType::F32 ? "F32" : t == DType::BF16 ? "BF16" : "F16"; }
std::uint64_t dtype_bytes(DType t) { return t == DType::F32 ? 4 : 2; }

// Exact widenings to float32 (every bf16 and every IEEE half value is a float32 value).
float bf16_to_float(std::uint16_t h) { return std::bit_cast<float>(std::uint32_t(h) << 16); }
float f16_to_float(std::uint16_t h) {
    const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
    const std::uint32_t exp = (h >> 10) & 0x1fu;
    const std::uint32_t man = h & 0x3ffu;
    if (exp == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (man << 13));   // inf / NaN
    if (exp != 0) return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (man << 13));
    // zero or subnormal: man * 2^-24, exact in float32
    const float v = float(man) * 0x1p-24f;
    return sign ? -v : v;
}

struct TensorEntry {
    std::string name;
    DType dtype = DType::F32;
    std::vector<std::uint64_t> shape;
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
    std::uint64_t elements = 0;
    bool used = false;
};

class Loader {
public:
    Loader(std::span<const std::uint8_t> bytes, std::string origin) : m_bytes(bytes), m_origin(std::move(origin)) {}

    [[noreturn]] void fail(const std::string& what) const {
        std::string msg = "model " + m_origin + ": " + what;
        for (char& ch : msg)
            if (static_cast<unsigned char>(ch) < 0x20) ch = '?';   // one line, whatever the file holds
        throw ModelError(msg);
    }

    void parse_header() {
        if (m_bytes.size() < 8)
            fail("file too short (" + std::to_string(m_bytes.size()) + " bytes) for a safetensors header");
        std::uint64_t hlen = 0;
        for (int i = 7; i >= 0; --i) hlen = (hlen << 8) | m_bytes[std::size_t(i)];
        const std::uint64_t avail = m_bytes.size() - 8;
        if (hlen > avail)
            fail("not a safetensors model or truncated: header length " + std::to_string(hlen) +
                 " exceeds the " + std::to_string(avail) + " bytes after it");
        if (hlen > kMaxHeaderBytes) fail("header length " + std::to_string(hlen) + " is too large");
        if (hlen < 2 || m_bytes[8] != '{')
            fail("not a safetensors model: the header does not start with '{'");
        m_data_begin = 8 + hlen;
        m_data_size = m_bytes.size() - m_data_begin;
        const std::string_view text(reinterpret_cast<const char*>(m_bytes.data() + 8), std::size_t(hlen));
        json::Value root;
        try {
            root = json::parse(text);
        } catch (const json::JsonError& e) {
            fail(std::string("header: ") + e.what());
        }
        if (!root.is_object()) fail("header is not a JSON object");

        for (const auto& [name, v] : root.object) {
            if (name == "__metadata__") {
                parse_metadata(v);
                continue;
            }
            parse_tensor(name, v);
        }
        if (!m_have_config) fail("header has no __metadata__.colive config");

        // Tensors must not overlap (safetensors stores them back to back).
        std::vector<const TensorEntry*> order;
        for (const auto& t : m_tensors) order.push_back(&t);
        std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->begin < b->begin; });
        for (std::size_t i = 1; i < order.size(); ++i)
            if (order[i]->begin < order[i - 1]->end)
                fail("tensor '" + order[i]->name + "' overlaps tensor '" + order[i - 1]->name + "'");
    }

    void parse_metadata(const json::Value& v) {
        if (!v.is_object()) fail("__metadata__ is not an object");
        for (const auto& [k, val] : v.object)
            if (!val.is_string()) fail("__metadata__ value '" + k + "' is not a string");
        const json::Value* c = v.find("colive");
        if (!c) fail("__metadata__ has no 'colive' config");
        json::Value cfg;
        try {
            cfg = json::parse(c->text);
        } catch (const json::JsonError& e) {
            fail(std::string("colive config: ") + e.what());
        }
        if (!cfg.is_object()) fail("colive config is not a JSON object");
        m_cfg_json = std::move(cfg);
        m_have_config = true;
    }

    void parse_tensor(const std::string& name, const json::Value& v) {
        auto tfail = [&](const std::string& what) { fail("tensor '" + name + "': " + what); };
        if (!v.is_object()) tfail("entry is not an object");
        const json::Value* dtype = v.find("dtype");
        const json::Value* shape = v.find("shape");
        const json::Value* offs = v.find("data_offsets");
        if (!dtype || !dtype->is_string()) tfail("missing dtype");
        if (!shape || !shape->is_array()) tfail("missing shape");
        if (!offs || !offs->is_array() || offs->array.size() != 2) tfail("data_offsets must be [begin, end]");
        for (const auto& [k, unused] : v.object) {
            (void)unused;
            if (k != "dtype" && k != "shape" && k != "data_offsets") tfail("unexpected key '" + k + "'");
        }
        TensorEntry t;
        t.name = name;
        if (dtype->text == "F32")
            t.dtype = DType::F32;
        else if (dtype->text == "BF16")
            t.dtype = DType::BF16;
        else if (dtype->text == "F16")
            t.dtype = DType::F16;
        else
            tfail("dtype " + dtype->text + " is not supported (F32, BF16 or F16)");
        if (shape->array.size() > 8) tfail("too many dimensions");
        std::uint64_t elements = 1;
        for (const auto& dim : shape->array) {
            auto d = dim.as_uint64();
            if (!d) tfail("shape entries must be non-negative integers");
            if (*d > kMaxDim) tfail("dimension " + dim.text + " is too large");
            t.shape.push_back(*d);
            elements *= *d;   // <= (2^20)^k, checked below before it can overflow
            if (elements > kMaxElements) tfail("declares too many elements");
        }
        auto b = offs->array[0].as_uint64();
        auto e = offs->array[1].as_uint64();
        if (!b || !e) tfail("data_offsets must be non-negative integers");
        if (*b > *e) tfail("data_offsets begin > end");
        if (*e > m_data_size)
            tfail("data_offsets end " + std::to_string(*e) + " exceeds the " + std::to_string(m_data_size) +
                  " data bytes in the file (truncated?)");
        const std::uint64_t eb = dtype_bytes(t.dtype);
        if (*e - *b != elements * eb)
            tfail("has " + std::to_string(*e - *b) + " bytes but shape " + shape_str(t.shape) + " needs " +
                  std::to_string(elements * eb) + " as " + dtype_name(t.dtype));
        t.begin = *b;
        t.end = *e;
        t.elements = elements;
        m_tensors.push_back(std::move(t));
    }

    // ---- config -----------------------------------------------------------------------------
    std::int64_t cfg_int(const char* key, std::int64_t lo, std::int64_t hi, std::optional<std::int64_t> def) {
        const json::Value* v = m_cfg_json.find(key);
        if (!v) {
            if (def) return *def;
            fail(std::string("config is missing '") + key + "'");
        }
        auto i = v->as_int(lo, hi);
        if (!i)
            fail(std::string("config '") + key + "' must be an integer in [" + std::to_string(lo) + ", " +
                 std::to_string(hi) + "], got " + v->dump());
        return *i;
    }
    std::string cfg_string(const char* key, const std::string& def) {
        const json::Value* v = m_cfg_json.find(key);
        if (!v || v->is_null()) return def;
        if (!v->is_string()) fail(std::string("config '") + key + "' must be a string");
        return v->text;
    }
    bool cfg_bool(const char* key, bool def) {
        const json::Value* v = m_cfg_json.find(key);
        if (!v) return def;
        if (!v->is_bool()) fail(std::string("config '") + key + "' must be true or false");
        return v->boolean;
    }
    double cfg_double(const char* key, double def) {
        const json::Value* v = m_cfg_json.find(key);
        if (!v) return def;
        if (!v->is_number() || !std::isfinite(v->number)) fail(std::string("config '") + key + "' must be a number");
        return v->number;
    }

    ModelConfig build_config() {
        ModelConfig c;
        c.name = cfg_string("name", "");
        c.modality = cfg_string("modality", "");
        if (c.modality != "" && c.modality != "video" && c.modality != "audio")
            fail("config 'modality' must be \"video\", \"audio\" or \"\", got \"" + c.modality + "\"");
        c.features = cfg_string("features", "");
        c.d_model = int(cfg_int("d_model", 1, 1 << 16, std::nullopt));
        c.heads = int(cfg_int("heads", 1, 1 << 12, std::nullopt));
        if (c.d_model % c.heads != 0)
            fail("config d_model " + std::to_string(c.d_model) + " is not divisible by heads " +
                 std::to_string(c.heads));
        c.d_ff = int(cfg_int("d_ff", 1, 1 << 20, std::nullopt));
        c.window = int(cfg_int("window", 1, 4096, std::nullopt));   // a Stream holds window^2 scores
        c.blocks = int(cfg_int("blocks", 1, 256, std::nullopt));
        c.pe_rows = int(cfg_int("pe_rows", 0, 1 << 20, 0));
        c.has_input_proj = find_tensor("input_proj.weight") != nullptr;
        if (const json::Value* ip = m_cfg_json.find("input_proj")) {
            if (!ip->is_bool()) fail("config 'input_proj' must be true or false");
            if (ip->boolean != c.has_input_proj)
                fail(std::string("config says input_proj=") + (ip->boolean ? "true" : "false") +
                     " but tensor 'input_proj.weight' is " + (c.has_input_proj ? "present" : "missing"));
        }
        c.d_in = int(cfg_int("d_in", 1, 1 << 20, c.has_input_proj ? std::nullopt : std::optional<std::int64_t>(c.d_model)));
        if (!c.has_input_proj && c.d_in != c.d_model)
            fail("config d_in " + std::to_string(c.d_in) + " != d_model " + std::to_string(c.d_model) +
                 " but the model has no tensor 'input_proj.weight'");
        const std::string act = cfg_string("activation", "gelu");
        if (act == "gelu")
            c.activation = Activation::GELU;
        else if (act == "relu")
            c.activation = Activation::ReLU;
        else
            fail("config 'activation' must be \"gelu\" or \"relu\", got \"" + act + "\"");
        const double eps = cfg_double("ln_eps", 1e-5);
        if (!(eps > 0.0 && eps < 1.0)) fail("config 'ln_eps' must be in (0, 1)");
        c.ln_eps = float(eps);
        c.in_proj_bias = cfg_bool("in_proj_bias", true);
        c.final_norm = cfg_bool("final_norm", true);
        c.norm_first = cfg_bool("norm_first", false);
        c.token_rate_hz = cfg_double("token_rate_hz", 0.0);
        if (c.token_rate_hz < 0.0) fail("config 'token_rate_hz' must be >= 0");
        if (const json::Value* cl = m_cfg_json.find("classes")) {
            if (!cl->is_array()) fail("config 'classes' must be a list of strings");
            if (cl->array.size() > (1u << 20)) fail("config 'classes' is too long");
            for (const auto& s : cl->array) {
                if (!s.is_string()) fail("config 'classes' must be a list of strings");
                c.classes.push_back(s.text);
            }
        }
        static const char* known[] = {"name",     "modality", "features",   "d_in",         "d_model",
                                      "heads",    "d_ff",     "window",     "blocks",       "pe_rows",
                                      "activation", "ln_eps", "in_proj_bias", "final_norm", "token_rate_hz",
                                      "classes",  "input_proj", "norm_first"};
        for (const auto& [k, v] : m_cfg_json.object) {
            const std::string& key = k;   // clang 14 cannot capture structured bindings
            if (std::find_if(std::begin(known), std::end(known), [&](const char* s) { return key == s; }) !=
                std::end(known))
                continue;
            c.metadata[k] = v.is_string() ? v.text : v.dump();
        }
        return c;
    }

    const TensorEntry* find_tensor(const std::string& name) const {
        for (const auto& t : m_tensors)
            if (t.name == name) return &t;
        return nullptr;
    }

    // ---- weights ----------------------------------------------------------------------------
    struct Want {
        std::string name;
        std::vector<std::uint64_t> shape;
        const float** target;
        bool required;
        const std::uint16_t** target16 = nullptr;   // Linear weights: where a compact bf16 copy goes
    };

    std::unique_ptr<Model::Impl> build_weights(const ModelConfig& c, const LoadOptions& options) {
        auto impl = std::make_unique<Model::Impl>();
        const std::uint64_t d = std::uint64_t(c.d_model), f = std::uint64_t(c.d_ff);
        impl->layers.resize(std::size_t(c.blocks));
        std::vector<Want> wants;
        auto lin = [&](LinearW& l, const std::string& base, std::uint64_t out, std::uint64_t in, bool bias_required,
                       bool bias_allowed, const std::string& wname = "weight", const std::string& bname = "bias") {
            l.out = int(out);
            l.in = int(in);
            wants.push_back({base + wname, {out, in}, &l.w, true, &l.w16});
            if (bias_allowed) wants.push_back({base + bname, {out}, &l.b, bias_required});
        };
        auto norm = [&](NormW& n, const std::string& base) {
            n.dim = int(d);
            wants.push_back({base + "weight", {d}, &n.g, true});
            wants.push_back({base + "bias", {d}, &n.b, true});
        };
        if (c.has_input_proj) lin(impl->input_proj, "input_proj.", d, std::uint64_t(c.d_in), false, true);
        if (c.pe_rows > 0) wants.push_back({"pe.weight", {std::uint64_t(c.pe_rows), d}, &impl->pe, true});
        for (int i = 0; i < c.blocks; ++i) {
            LayerW& L = impl->layers[std::size_t(i)];
            const std::string p = "layers." + std::to_string(i) + ".";
            lin(L.in_proj, p + "self_attn.", 3 * d, d, true, c.in_proj_bias, "in_proj_weight", "in_proj_bias");
            lin(L.out_proj, p + "self_attn.out_proj.", d, d, true, c.in_proj_bias);
            lin(L.linear1, p + "linear1.", f, d, false, true);
            lin(L.linear2, p + "linear2.", d, f, false, true);
            norm(L.norm1, p + "norm1.");
            norm(L.norm2, p + "norm2.");
        }
        if (c.final_norm) norm(impl->final_norm, "norm.");
        if (!c.classes.empty()) lin(impl->head, "head.", std::uint64_t(c.classes.size()), d, false, true);

        // Check presence and shapes, and size the storage.
        std::uint64_t total = 0;
        std::vector<const TensorEntry*> found(wants.size(), nullptr);
        for (std::size_t i = 0; i < wants.size(); ++i) {
            const TensorEntry* t = find_tensor(wants[i].name);
            if (!t) {
                if (wants[i].required) fail("tensor '" + wants[i].name + "' is missing (expected shape " +
                                            shape_str(wants[i].shape) + ")");
                continue;
            }
            if (t->shape != wants[i].shape)
                fail("tensor '" + wants[i].name + "' has shape " + shape_str(t->shape) + ", the config needs " +
                     shape_str(wants[i].shape));
            const_cast<TensorEntry*>(t)->used = true;
            found[i] = t;
            total += AlignedFloats::padded(std::size_t(t->elements));
            if (total > kMaxElements) fail("model is too large");
        }
        for (const auto& t : m_tensors)
            if (!t.used) fail("unexpected tensor '" + t.name + "' (not used by this config)");

        impl->storage = AlignedFloats(std::size_t(total));
        float* dst = impl->storage.data();
        std::int64_t params = 0;
        for (std::size_t i = 0; i < wants.size(); ++i) {
            const TensorEntry* t = found[i];
            if (!t) continue;
            const std::uint8_t* src = m_bytes.data() + m_data_begin + t->begin;
            const auto count = std::size_t(t->elements);
            if (t->dtype == DType::F32) {
                std::memcpy(dst, src, count * 4);
            } else {
                const bool bf = t->dtype == DType::BF16;
                for (std::size_t k = 0; k < count; ++k) {
                    const auto h = std::uint16_t(src[2 * k] | (std::uint16_t(src[2 * k + 1]) << 8));
                    dst[k] = bf ? bf16_to_float(h) : f16_to_float(h);
                }
            }
            for (std::uint64_t k = 0; k < t->elements; ++k)
                if (!std::isfinite(dst[k]))
                    fail("tensor '" + t->name + "' holds a non-finite value (" + (std::isnan(dst[k]) ? "NaN" : "Inf") +
                         ") at element " + std::to_string(k));
            *wants[i].target = dst;
            params += std::int64_t(t->elements);
            dst += AlignedFloats::padded(std::size_t(t->elements));
        }
        impl->parameters = params;
        if (options.compact_bf16) add_bf16_copies(*impl, wants, found);
        return impl;
    }

    // For every Linear weight (of at least kMinBf16Cols columns) whose values are all exactly bf16
    // (low 16 bits zero), a copy of the upper halves; linear_vec streams it (same values, half the bytes).
    static bool bf16_exact(const float* w, std::size_t count) {
        std::uint32_t low = 0;
        for (std::size_t k = 0; k < count; ++k) low |= std::bit_cast<std::uint32_t>(w[k]) & 0xffffu;
        return low == 0;
    }
    static constexpr std::uint64_t kMinBf16Cols = 64;
    static std::size_t halves_padded(std::size_t count) { return (count + 31) & ~std::size_t(31); }   // 64 bytes

    void add_bf16_copies(Model::Impl& impl, const std::vector<Want>& wants, const std::vector<const TensorEntry*>& found) {
        std::size_t halves = 0;
        std::vector<std::size_t> pick;
        for (std::size_t i = 0; i < wants.size(); ++i) {
            if (!found[i] || !wants[i].target16) continue;
            // Rows narrower than 64 columns are cheaper to read as float32 than to widen.
            if (found[i]->shape.size() != 2 || found[i]->shape[1] < kMinBf16Cols) continue;
            const auto count = std::size_t(found[i]->elements);
            if (!bf16_exact(*wants[i].target, count)) continue;
            pick.push_back(i);
            halves += halves_padded(count);
        }
        if (pick.empty()) return;
        impl.storage16 = AlignedFloats(halves / 2);
        auto* dst = reinterpret_cast<std::uint16_t*>(impl.storage16.data());
        for (std::size_t i : pick) {
            const auto count = std::size_t(found[i]->elements);
            const float* w = *wants[i].target;
            for (std::size_t k = 0; k < count; ++k) dst[k] = std::uint16_t(std::bit_cast<std::uint32_t>(w[k]) >> 16);
            *wants[i].target16 = dst;
            impl.bf16_weights += std::int64_t(count);
            dst += halves_padded(count);
        }
    }

    std::span<const std::uint8_t> m_bytes;
    std::string m_origin;
    std::uint64_t m_data_begin = 0;
    std::uint64_t m_data_size = 0;
    std::vector<TensorEntry> m_tensors;
    json::Value m_cfg_json;
    bool m_have_config = false;
};

std::shared_ptr<const Model> load_bytes(std::span<const std::uint8_t> bytes, const std::string& origin,
                                        std::filesystem::path path, const LoadOptions& options) {
    Loader loader(bytes, origin);
    loader.parse_header();
    ModelConfig cfg = loader.build_config();
    auto impl = loader.build_weights(cfg, options);
    return std::make_shared<const Model>(std::move(cfg), std::move(impl), std::move(path));
}

}  // namespace

std::shared_ptr<const Model> Model::load_from_memory(std::span<const std::uint8_t> bytes, const std::string& origin) {
    return load_bytes(bytes, origin, {}, LoadOptions{});
}

std::shared_ptr<const Model> Model::load_from_memory(std::span<const std::uint8_t> bytes, const std::string& origin,
                                                     const LoadOptions& options) {
    return load_bytes(bytes, origin, {}, options);
}

std::shared_ptr<const Model> Model::load(const std::filesystem::path& path) { return load(path, LoadOptions{}); }

std::shared_ptr<const Model> Model::load(const std::filesystem::path& path, const LoadOptions& options) {
    std::string origin = "'";   // (built with append: GCC 12 -Wrestrict false positive on operator+)
    origin.append(path.string());
    origin.push_back('\'');
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) throw ModelError("model " + origin + ": no such file");
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) throw ModelError("model " + origin + ": cannot read size: " + ec.message());
    if (size > (std::uintmax_t(1) << 36)) throw ModelError("model " + origin + ": file is too large");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ModelError("model " + origin + ": cannot open");
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
    if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(size)))
        throw ModelError("model " + origin + ": read failed");
    return load_bytes(bytes, origin, path, options);
}

}  // namespace colive
