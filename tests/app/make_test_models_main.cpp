// SPDX-License-Identifier: MIT
// colive_make_test_models OUT_DIR: writes the tiny random test models (see test_models.h).
#include "test_models.h"

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: colive_make_test_models OUT_DIR\n");
        return 2;
    }
    try {
        colive::test::write_tiny_models(argv[1]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "colive_make_test_models: %s\n", e.what());
        return 1;
    }
    return 0;
}
