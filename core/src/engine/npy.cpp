// SPDX-License-Identifier: MIT
#include "colive/npy.h"

#include <bit>
#include <cstring>
#include <fstream>
#include <limits>

namespace colive::npy {

std::size_t Array::cols() const {
    std::size_t c = 1;
    for (std::size_t i = 1; i < shape.size(); ++i) c *= shape[i];
    return c;
}

namespace {

[[noreturn]] void fail(const std::string& origin, const std::string& what) {
    std::string msg = "npy " + origin + ": " + what;
    for (char& ch : msg)
        if (static_cast<unsigned char>(ch) < 0x20) ch = '?';   // one line, whatever the file holds
    throw InputError(msg);
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path, const std::string& origin) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) fail(origin, "cannot open: " + ec.message());
    if (size > (std::uintmax_t(1) << 36)) fail(origin, "file is too large");
    std::ifstream in(path, std::ios::binary);
    if (!in) fail(origin, "cannot open");
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
    if (size && !in.read(reinterpret_cast<char*>(bytes.data()), std::streamsize(size))) fail(origin, "read failed");
    return bytes;
}

std::string quoted(const std::filesystem::path& p) {
    std::string s = "'";   // (append: GCC 12 -Wrestrict false positive on "'" + str)
    s.append(p.string());
    s.push_back('\'');
    return s;
}

// Value of key `key` in the header dict text, e.g. 'descr': '<f4'  ->  '<f4'
std::string dict_value(const std::string& h, const std::string& key, const std::string& origin) {
    const std::string k = "'" + key + "'";
    const auto p = h.find(k);
    if (p == std::string::npos) fail(origin, "header has no " + k);
    auto q = h.find(':', p + k.size());
    if (q == std::string::npos) fail(origin, "malformed header");
    ++q;
    while (q < h.size() && h[q] == ' ') ++q;
    if (q >= h.size()) fail(origin, "malformed header");
    std::size_t e = q;
    if (h[q] == '\'') {
        e = h.find('\'', q + 1);
        if (e == std::string::npos) fail(origin, "malformed header");
        return h.substr(q + 1, e - q - 1);
    }
    if (h[q] == '(') {
        e = h.find(')', q);
        if (e == std::string::npos) fail(origin, "malformed header");
        return h.substr(q, e - q + 1);
    }
    while (e < h.size() && h[e] != ',' && h[e] != '}') ++e;
    return h.substr(q, e - q);
}

}  // namespace

Array parse(std::span<const std::uint8_t> b, const std::string& origin) {
    static const std::uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    if (b.size() < 10 || std::memcmp(b.data(), magic, 6) != 0) fail(origin, "not a .npy file (bad magic)");
    const int major = b[6];
    std::size_t hlen = 0, hstart = 0;
    if (major == 1) {
        hlen = std::size_t(b[8]) | (std::size_t(b[9]) << 8);
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (b.size() < 12) fail(origin, "truncated header");
        hlen = std::size_t(b[8]) | (std::size_t(b[9]) << 8) | (std::size_t(b[10]) << 16) | (std::size_t(b[11]) << 24);
        hstart = 12;
    } else {
        fail(origin, "unsupported .npy version " + std::to_string(major));
    }
    if (hlen > b.size() - hstart) fail(origin, "truncated header");
    const std::string h(reinterpret_cast<const char*>(b.data() + hstart), hlen);
    const std::string descr = dict_value(h, "descr", origin);
    const std::string fortran = dict_value(h, "fortran_order", origin);
    const std::string shape_text = dict_value(h, "shape", origin);
    if (fortran != "False") fail(origin, "Fortran-ordered arrays are not supported");
    std::size_t item = 0;
    if (descr == "<f4")
        item = 4;
    else if (descr == "<f8")
        item = 8;
    else
        fail(origin, "dtype " + descr + " is not supported (float32 or float64 only)");
    Array a;
    std::size_t count = 1;
    {
        std::size_t i = 1;  // after '('
        while (i < shape_text.size()) {
            while (i < shape_text.size() && (shape_text[i] == ' ' || shape_text[i] == ',')) ++i;
            if (i >= shape_text.size() || shape_text[i] == ')') break;
            std::size_t v = 0;
            bool any = false;
            while (i < shape_text.size() && shape_text[i] >= '0' && shape_text[i] <= '9') {
                if (v > (std::size_t(1) << 40)) fail(origin, "shape too large");
                v = v * 10 + std::size_t(shape_text[i] - '0');
                ++i;
                any = true;
            }
            if (!any) fail(origin, "malformed shape " + shape_text);
            a.shape.push_back(v);
            if (v != 0 && count > (std::size_t(1) << 36) / v) fail(origin, "shape too large");
            count *= v;
        }
    }
    const std::size_t data_start = hstart + hlen;
    const std::size_t avail = b.size() - data_start;
    if (count > avail / item || count * item != avail)
        fail(origin, "data size " + std::to_string(avail) + " bytes does not match shape " + shape_text);
    a.data.resize(count);
    const std::uint8_t* p = b.data() + data_start;
    if (item == 4) {
        if (count) std::memcpy(a.data.data(), p, count * 4);
    } else {
        for (std::size_t i = 0; i < count; ++i) {
            double v;
            std::memcpy(&v, p + 8 * i, 8);
            a.data[i] = float(v);
        }
    }
    return a;
}

Array load(const std::filesystem::path& path) {
    const auto bytes = read_file(path, quoted(path));
    return parse(bytes, quoted(path));
}

Array load_raw_f32(const std::filesystem::path& path, std::size_t width) {
    const std::string origin = quoted(path);
    if (width == 0) fail(origin, "row width must be positive");
    const auto bytes = read_file(path, origin);
    if (bytes.size() % (4 * width) != 0)
        fail(origin, std::to_string(bytes.size()) + " bytes is not a whole number of rows of " +
                         std::to_string(width) + " float32 values");
    Array a;
    a.shape = {bytes.size() / (4 * width), width};
    a.data.resize(bytes.size() / 4);
    if (!bytes.empty()) std::memcpy(a.data.data(), bytes.data(), bytes.size());
    return a;
}

void save(const std::filesystem::path& path, std::span<const float> data, const std::vector<std::size_t>& shape) {
    std::size_t count = 1;
    for (auto s : shape) count *= s;
    if (count != data.size()) throw InputError("npy save: shape does not match data size");
    std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        h += std::to_string(shape[i]);
        if (shape.size() == 1 || i + 1 < shape.size()) h += ",";
        if (i + 1 < shape.size()) h += " ";
    }
    h += "), }";
    const std::size_t total = 10 + h.size() + 1;
    h.append((64 - total % 64) % 64, ' ');
    h += '\n';
    std::ofstream out(path, std::ios::binary);
    if (!out) throw InputError("npy '" + path.string() + "': cannot write");
    const char magic[8] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};
    out.write(magic, 8);
    const char len[2] = {char(h.size() & 0xff), char((h.size() >> 8) & 0xff)};
    out.write(len, 2);
    out.write(h.data(), std::streamsize(h.size()));
    out.write(reinterpret_cast<const char*>(data.data()), std::streamsize(data.size() * sizeof(float)));
    if (!out) throw InputError("npy '" + path.string() + "': write failed");
}

}  // namespace colive::npy
