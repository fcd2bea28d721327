// SPDX-License-Identifier: MIT
// Engine tests of the run-time dispatched kernels (gemv.cpp, softmax.cpp, attention.cpp): every
// instruction set this CPU supports, and a guard that restores the active one.
#pragma once

#include "engine_internal.h"

#include <vector>

namespace colive::testing {

// Restores the kernels' instruction set when the test ends.
struct IsaGuard {
    gemv::Isa saved = gemv::active();
    ~IsaGuard() { gemv::set_active(saved); }
};

// Scalar first, then every wider set the CPU (and OS) supports.
inline std::vector<gemv::Isa> supported_isas() {
    std::vector<gemv::Isa> out;
    for (gemv::Isa i : {gemv::Isa::Scalar, gemv::Isa::Avx2, gemv::Isa::Avx512})
        if (int(i) <= int(gemv::best_supported())) out.push_back(i);
    return out;
}

}  // namespace colive::testing
