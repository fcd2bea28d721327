// SPDX-License-Identifier: MIT
// Minimal .npy reader for the feature tests (little-endian <f4 / <f8, C order).
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace colive::test {

struct NpyArray {
    std::vector<std::size_t> shape;
    std::vector<double> data;   // converted to double
    std::size_t size() const { return data.size(); }
};

inline NpyArray read_npy(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot open " + path);
    char magic[8];
    f.read(magic, 8);
    if (!f || std::memcmp(magic, "\x93NUMPY", 6) != 0) throw std::runtime_error("not a .npy file: " + path);
    std::uint32_t hlen = 0;
    if (magic[6] == 1) {
        unsigned char b[2];
        f.read(reinterpret_cast<char*>(b), 2);
        hlen = b[0] | (b[1] << 8);
    } else {
        unsigned char b[4];
        f.read(reinterpret_cast<char*>(b), 4);
        hlen = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<std::uint32_t>(b[3]) << 24);
    }
    std::string h(hlen, '\0');
    f.read(h.data(), hlen);
    const bool f4 = h.find("'<f4'") != std::string::npos, f8 = h.find("'<f8'") != std::string::npos;
    if (!f4 && !f8) throw std::runtime_error("unsupported dtype in " + path + ": " + h);
    if (h.find("'fortran_order': False") == std::string::npos) throw std::runtime_error("fortran order in " + path);
    NpyArray a;
    const auto p0 = h.find('(', h.find("'shape'")), p1 = h.find(')', p0);
    std::string s = h.substr(p0 + 1, p1 - p0 - 1);
    std::size_t n = 1;
    std::size_t pos = 0;
    while (pos < s.size()) {
        while (pos < s.size() && (s[pos] == ' ' || s[pos] == ',')) ++pos;
        if (pos >= s.size()) break;
        std::size_t e = pos;
        while (e < s.size() && s[e] >= '0' && s[e] <= '9') ++e;
        a.shape.push_back(std::stoul(s.substr(pos, e - pos)));
        n *= a.shape.back();
        pos = e;
    }
    a.data.resize(n);
    if (f4) {
        std::vector<float> tmp(n);
        f.read(reinterpret_cast<char*>(tmp.data()), static_cast<std::streamsize>(n * sizeof(float)));
        for (std::size_t i = 0; i < n; ++i) a.data[i] = tmp[i];
    } else {
        f.read(reinterpret_cast<char*>(a.data.data()), static_cast<std::streamsize>(n * sizeof(double)));
    }
    if (!f) throw std::runtime_error("truncated " + path);
    return a;
}

}  // namespace colive::test
