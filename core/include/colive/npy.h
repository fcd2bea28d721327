// SPDX-License-Identifier: MIT
// Minimal .npy reader/writer (NumPy format 1.0/2.0/3.0, C order) for tokens and outputs.
// Reads little-endian float32 and float64 (converted to float32); writes float32.
#pragma once

#include "colive/engine.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace colive::npy {

struct Array {
    std::vector<std::size_t> shape;
    std::vector<float> data;          // row-major, product(shape) values

    std::size_t rows() const { return shape.empty() ? 1 : shape[0]; }
    std::size_t cols() const;         // product of the dimensions after the first (1 for 1-D)
};

// Throws InputError with a one-line message on anything unexpected.
Array load(const std::filesystem::path& path);
Array parse(std::span<const std::uint8_t> bytes, const std::string& origin = "<memory>");

// Raw little-endian float32 file (e.g. T.f32): `width` values per row.
Array load_raw_f32(const std::filesystem::path& path, std::size_t width);

void save(const std::filesystem::path& path, std::span<const float> data, const std::vector<std::size_t>& shape);

}  // namespace colive::npy
