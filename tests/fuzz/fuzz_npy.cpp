// SPDX-License-Identifier: MIT
// Fuzz target: the .npy reader used for token files (colive::npy::parse; colive-cli --tokens).
// Properties: only colive::InputError escapes, with a one-line message; a parsed array holds
// exactly product(shape) values and rows() * cols() == data.size().
#include "colive/npy.h"
#include "fuzz_input.h"

#include <span>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    constexpr const char* kName = "fuzz_npy";
    colive::npy::Array a;
    try {
        a = colive::npy::parse(std::span<const std::uint8_t>(data, data ? size : 0), "<fuzz>");
    } catch (const colive::InputError& e) {
        const std::string msg = e.what();
        if (msg.empty() || msg.find('\n') != std::string::npos) colive_fuzz::violated(kName, "error is not one line");
        return 0;
    }
    std::size_t count = 1;
    for (std::size_t d : a.shape) count *= d;
    if (count != a.data.size()) colive_fuzz::violated(kName, "data size != product(shape)");
    if (!a.shape.empty() && a.rows() * a.cols() != a.data.size()) colive_fuzz::violated(kName, "rows*cols != size");
    return 0;
}
