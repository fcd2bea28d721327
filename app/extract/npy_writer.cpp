// SPDX-License-Identifier: MIT
#include "npy_writer.h"

#include "colive/engine.h"

#include <bit>
#include <cstdint>
#include <fstream>
#include <string>

namespace colive::npy {

namespace {
static_assert(std::endian::native == std::endian::little, "the .npy writer assumes a little-endian host");

void write(const std::filesystem::path& path, const char* descr, const std::string& shape, const void* data,
           std::size_t bytes) {
    std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    // magic(6) + version(2) + header length(2) + header, padded with spaces to a multiple of 64, ending in \n.
    const std::size_t unpadded = 10 + header.size() + 1;
    header.append((64 - unpadded % 64) % 64, ' ');
    header.push_back('\n');
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!f) throw Error("cannot write " + path.string());
    const char magic[8] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};
    f.write(magic, 8);
    const auto len = static_cast<std::uint16_t>(header.size());
    const char lenb[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
    f.write(lenb, 2);
    f.write(header.data(), static_cast<std::streamsize>(header.size()));
    f.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
    f.close();
    if (!f) throw Error("error writing " + path.string());
}
}  // namespace

void write_f32(const std::filesystem::path& path, std::span<const float> data, std::size_t rows, std::size_t cols) {
    if (data.size() != rows * cols) throw Error("npy: data size does not match shape");
    std::string shape = "(";
    shape += std::to_string(rows);
    shape += ", ";
    shape += std::to_string(cols);
    shape += ")";
    write(path, "<f4", shape, data.data(), data.size() * sizeof(float));
}

void write_f64(const std::filesystem::path& path, std::span<const double> data) {
    std::string shape = "(";
    shape += std::to_string(data.size());
    shape += ",)";
    write(path, "<f8", shape, data.data(), data.size() * sizeof(double));
}

}  // namespace colive::npy
