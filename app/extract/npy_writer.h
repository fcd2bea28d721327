// SPDX-License-Identifier: MIT
// Minimal .npy (NumPy format 1.0) writer for colive-extract: little-endian float32 / float64,
// C order. Throws colive::Error on I/O failure.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <vector>

namespace colive::npy {

// rows x cols float32 matrix ("<f4", shape (rows, cols)).
void write_f32(const std::filesystem::path& path, std::span<const float> data, std::size_t rows, std::size_t cols);
// 1-D float64 vector ("<f8", shape (n,)).
void write_f64(const std::filesystem::path& path, std::span<const double> data);

}  // namespace colive::npy
