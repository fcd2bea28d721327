// SPDX-License-Identifier: MIT
// Fuzz target: the strict JSON parser used for safetensors headers and the colive config
// (core/src/engine/json.cpp). Properties checked besides "no crash / no sanitizer report":
//   - only JsonError escapes parse();
//   - a parsed document dumps to JSON that parses again to the same dump (round trip);
//   - the number accessors never disagree with the literal.
#include "json.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <string_view>

namespace {

void check(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "fuzz_json: property violated: %s\n", what);
        std::abort();
    }
}

void walk(const colive::json::Value& v, int depth) {
    check(depth <= 70, "depth bound");
    if (v.is_number()) {
        if (auto u = v.as_uint64()) check(std::to_string(*u) == v.text, "as_uint64 agrees with the literal");
        if (auto i = v.as_int(-1000, 1000)) check(*i >= -1000 && *i <= 1000, "as_int range");
    }
    for (const auto& c : v.array) walk(c, depth + 1);
    for (const auto& [k, c] : v.object) {
        (void)k;
        walk(c, depth + 1);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), data ? size : 0);
    colive::json::Value v;
    try {
        v = colive::json::parse(text);
    } catch (const colive::json::JsonError& e) {
        check(std::string_view(e.what()).find('\n') == std::string_view::npos, "one-line error");
        return 0;
    }
    walk(v, 0);
    const std::string once = v.dump();
    colive::json::Value again;
    try {
        again = colive::json::parse(once);
    } catch (const colive::json::JsonError& e) {
        std::fprintf(stderr, "fuzz_json: dump() output does not parse: %s\n", e.what());
        std::abort();
    }
    check(again.dump() == once, "parse(dump(v)).dump() == dump(v)");
    return 0;
}
