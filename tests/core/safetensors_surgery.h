// SPDX-License-Identifier: MIT
// Test helpers that take a .safetensors file apart (header JSON + data) and put it back together,
// so loader tests can corrupt one field at a time.
#pragma once

#include "json.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace colive::testing {

struct SafetensorsParts {
    json::Value header;
    std::vector<std::uint8_t> data;
};

inline SafetensorsParts split_safetensors(const std::vector<std::uint8_t>& file) {
    std::uint64_t len = 0;
    for (int i = 7; i >= 0; --i) len = (len << 8) | file[std::size_t(i)];
    SafetensorsParts p;
    p.header = json::parse(std::string_view(reinterpret_cast<const char*>(file.data() + 8), std::size_t(len)));
    p.data.assign(file.begin() + std::ptrdiff_t(8 + len), file.end());
    return p;
}

inline std::vector<std::uint8_t> join_safetensors(const std::string& header, const std::vector<std::uint8_t>& data) {
    std::vector<std::uint8_t> out;
    out.reserve(8 + header.size() + data.size());
    const std::uint64_t len = header.size();
    for (int i = 0; i < 8; ++i) out.push_back(std::uint8_t(len >> (8 * i)));
    out.insert(out.end(), header.begin(), header.end());
    out.insert(out.end(), data.begin(), data.end());
    return out;
}

inline std::vector<std::uint8_t> join_safetensors(const SafetensorsParts& p) { return join_safetensors(p.header.dump(), p.data); }

// The header entry of a tensor (or "__metadata__"); throws if there is none.
inline json::Value& header_entry(SafetensorsParts& p, const std::string& name) {
    for (auto& [k, v] : p.header.object)
        if (k == name) return v;
    throw std::runtime_error("no entry " + name);
}

}  // namespace colive::testing
