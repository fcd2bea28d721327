// SPDX-License-Identifier: MIT
// Bad model files beyond the engine owner's loader tests (tests/core/test_loader.cpp): every
// possible truncation, every header byte damaged, a non-finite value in every tensor (the error
// must name that tensor), missing / empty / directory / absurdly large files, a tiny file whose
// stream would need gigabytes, and models that do not fit the feature extractor, through the
// real colive-cli. Each refusal is one line; nothing crashes.
#include "rel_util.h"

#include "colive/engine.h"
#include "colive/features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

using namespace colive;
namespace fs = std::filesystem;

namespace {

struct TensorInfo {
    std::string name;
    std::size_t file_offset = 0;
    std::size_t count = 0;
};

// The tensor table written by make_data.py from the PyTorch modules.
std::vector<TensorInfo> tiny_tensors() {
    std::ifstream in(rel::data("rel_tiny.tensors.txt"));
    std::vector<TensorInfo> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream ss(line);
        TensorInfo t;
        std::string shape;
        ss >> t.name >> t.file_offset >> t.count >> shape;
        out.push_back(t);
    }
    return out;
}

// Loads; returns "" on success, else the ModelError text. Any other exception fails the test.
std::string try_load(const std::vector<std::uint8_t>& bytes) {
    try {
        auto m = Model::load_from_memory(bytes, "<test>");
        return m ? std::string() : std::string("null model");
    } catch (const ModelError& e) {
        return e.what();
    }
}

// A model that loads must also run: a few windows in both modes without crashing.
void run_a_little(const std::shared_ptr<const Model>& m) {
    const auto& c = m->config();
    if (c.window > 64) return;
    Stream r(m, Mode::Regular), q(m, Mode::Continual);
    std::vector<float> tok(std::size_t(c.d_in), 0.25f);
    for (int i = 0; i < 2 * c.window + 1; ++i) {
        tok[std::size_t(i) % tok.size()] = float(i % 7) * 0.1f;
        (void)r.step(tok);
        (void)q.step(tok);
    }
}

// A float32 C-order .npy of rows x cols (NumPy format 1.0).
std::vector<std::uint8_t> npy_f32(std::size_t rows, std::size_t cols) {
    std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                    std::to_string(cols) + "), }";
    while ((10 + h.size() + 1) % 64 != 0) h += ' ';
    h += '\n';
    const std::size_t n = rows * cols;
    std::vector<std::uint8_t> out(10 + h.size() + 4 * n);
    const std::uint8_t magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    std::memcpy(out.data(), magic, 8);
    out[8] = std::uint8_t(h.size() & 255);
    out[9] = std::uint8_t(h.size() >> 8);
    std::memcpy(out.data() + 10, h.data(), h.size());
    for (std::size_t i = 0; i < n; ++i) {
        const float v = 0.01f * float(i);
        std::memcpy(out.data() + 10 + h.size() + 4 * i, &v, 4);
    }
    return out;
}

}  // namespace

TEST(BadModelFiles, MissingEmptyDirectoryAndHugeFilesGiveOneLine) {
    rel::TempDir d;
    struct Case {
        fs::path path;
        std::string word;
    };
    rel::write_bytes(d / "empty.safetensors", {});
    fs::create_directory(d / "dir.safetensors");
    rel::write_text(d / "text.safetensors", "this is not a model\n");
    // 80 GiB sparse file: no disk is used, but the loader must refuse it before allocating.
    {
        const int fd = ::open((d / "huge.safetensors").c_str(), O_CREAT | O_WRONLY, 0644);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::ftruncate(fd, off_t(80) << 30), 0);
        ::close(fd);
    }
    const Case cases[] = {{d / "missing.safetensors", "missing.safetensors"},
                          {d / "empty.safetensors", "empty.safetensors"},
                          {d / "dir.safetensors", "dir.safetensors"},
                          {d / "text.safetensors", "text.safetensors"},
                          {d / "huge.safetensors", "huge.safetensors"}};
    for (const auto& c : cases) {
        try {
            Model::load(c.path);
            ADD_FAILURE() << "loaded " << c.path;
        } catch (const ModelError& e) {
            EXPECT_TRUE(rel::one_line(e.what())) << e.what();
            EXPECT_NE(std::string(e.what()).find(c.word), std::string::npos) << e.what();
        }
    }
}

TEST(BadModelFiles, EveryTruncationIsRefused) {
    const auto good = rel::read_bytes(rel::data("rel_tiny.safetensors"));
    ASSERT_TRUE(try_load(good).empty());
    for (std::size_t len = 0; len < good.size(); ++len) {
        const std::vector<std::uint8_t> cut(good.begin(), good.begin() + std::ptrdiff_t(len));
        const std::string err = try_load(cut);
        ASSERT_FALSE(err.empty()) << "a file cut to " << len << " of " << good.size() << " bytes loaded";
        ASSERT_TRUE(rel::one_line(err)) << err;
    }
}

TEST(BadModelFiles, EveryHeaderByteDamagedIsRefusedOrStillRuns) {
    const auto good = rel::read_bytes(rel::data("rel_tiny.safetensors"));
    std::uint64_t hlen = 0;
    for (int i = 7; i >= 0; --i) hlen = (hlen << 8) | good[std::size_t(i)];
    ASSERT_LT(hlen, good.size());
    int refused = 0, loaded = 0;
    for (std::size_t i = 0; i < 8 + hlen; ++i) {
        for (std::uint8_t mask : {std::uint8_t(0x01), std::uint8_t(0x20), std::uint8_t(0xff)}) {
            auto bad = good;
            bad[i] ^= mask;
            try {
                auto m = Model::load_from_memory(bad, "<test>");
                ++loaded;   // e.g. a changed class name or a space turned into '!'... still a valid model
                run_a_little(m);
            } catch (const ModelError& e) {
                ++refused;
                ASSERT_TRUE(rel::one_line(e.what())) << "byte " << i << ": " << e.what();
            }
        }
    }
    EXPECT_GT(refused, loaded);   // most damage is caught
    std::printf("[ header ] %d damaged headers refused, %d still valid (and ran)\n", refused, loaded);
}

TEST(BadModelFiles, NonFiniteValueInEveryTensorIsRefusedNamingIt) {
    const auto good = rel::read_bytes(rel::data("rel_tiny.safetensors"));
    const auto tensors = tiny_tensors();
    ASSERT_EQ(tensors.size(), 1u + 1u + 1u + 2u * 12u + 2u + 2u);   // proj w/b, pe, 2 layers x 12, norm, head
    const float bad_values[] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                                -std::numeric_limits<float>::infinity()};
    for (const auto& t : tensors) {
        for (float v : bad_values) {
            for (std::size_t k : {std::size_t(0), t.count - 1}) {
                auto bad = good;
                ASSERT_LE(t.file_offset + 4 * t.count, bad.size());
                std::memcpy(bad.data() + t.file_offset + 4 * k, &v, 4);
                const std::string err = try_load(bad);
                ASSERT_FALSE(err.empty()) << t.name << " element " << k << " = " << v << " was accepted";
                EXPECT_TRUE(rel::one_line(err)) << err;
                EXPECT_NE(err.find("'" + t.name + "'"), std::string::npos) << err;
                EXPECT_NE(err.find(std::isnan(v) ? "NaN" : "Inf"), std::string::npos) << err;
            }
        }
    }
}

TEST(BadModelFiles, HugeWindowNeverCrashesTheProcess) {
    // rel_window_bomb: 4 kB of weights, window 65536. A regular-mode stream keeps an n x n score
    // matrix (16 GiB). Under a 2 GiB address-space limit, loading and opening streams must either
    // work or fail with a colive::Error; std::bad_alloc escaping, a crash or a hang are bugs.
    if (rel::under_sanitizer()) GTEST_SKIP() << "address-space limits do not mix with sanitizers";
    for (Mode mode : {Mode::Continual, Mode::Regular}) {
        const int code = rel::run_in_child(
            [mode] {
                try {
                    auto m = Model::load(rel::data("rel_window_bomb.safetensors"));
                    Stream s(m, mode);
                    std::vector<float> tok(std::size_t(m->config().d_in), 0.5f);
                    for (int i = 0; i < 3; ++i) (void)s.step(tok);
                    return 0;   // it fit
                } catch (const Error& e) {
                    std::fprintf(stderr, "[ bomb   ] %s: refused: %s\n", to_string(mode), e.what());
                    return rel::one_line(e.what()) ? 0 : 3;
                } catch (const std::bad_alloc&) {
                    std::fprintf(stderr, "[ bomb   ] %s: std::bad_alloc escaped (no clear error)\n", to_string(mode));
                    return 4;
                }
            },
            2048, std::chrono::seconds(120));
        EXPECT_EQ(code, 0) << to_string(mode) << ": child exit " << code
                           << " (3: multi-line error, 4: std::bad_alloc, <0: signal, -1000: timeout)";
    }
}

// ---- models that do not fit the features, through the real colive-cli ----------------------

#ifdef COLIVE_CLI_EXE
TEST(BadModelFiles, CliRefusesModelsThatDoNotFitTheSource) {
    rel::TempDir d;
    rel::write_video(d / "v.avi", 20, 64, 48);
    rel::write_wav(d / "a.wav", 16000, 1, 2.0);
    const int vdim = VideoFeatures().dim(), adim = AudioFeatures().dim();
    rel::write_model(d / "video_narrow.safetensors", vdim - 1, "video", 10.0, 8, 3);
    rel::write_model(d / "video_ok.safetensors", vdim, "video", 10.0, 8, 3);
    rel::write_model(d / "audio_ok.safetensors", adim, "audio", 4.0, 8, 3);
    struct Case {
        std::string source, model;
        std::vector<std::string> words;
    };
    const Case cases[] = {
        {"file:" + (d / "v.avi").string(), (d / "video_narrow.safetensors").string(),
         {std::to_string(vdim - 1), std::to_string(vdim)}},
        {"file:" + (d / "v.avi").string(), (d / "audio_ok.safetensors").string(), {"audio", "video"}},
        {"file:" + (d / "a.wav").string(), (d / "video_ok.safetensors").string(), {"audio", "video"}},
        {"file:" + (d / "a.wav").string(), (d / "nope.safetensors").string(), {"nope.safetensors"}},
        {"file:" + (d / "a.wav").string(), rel::data("rel_tiny.tensors.txt").string(), {"rel_tiny.tensors.txt"}},
    };
    // the fitting models run (so the failures below are about the fit)
    for (const auto& [src, model] : {std::pair{d / "v.avi", d / "video_ok.safetensors"}, std::pair{d / "a.wav", d / "audio_ok.safetensors"}}) {
        const auto ok = rel::run_process({COLIVE_CLI_EXE, "--source", "file:" + src.string(), "--model", model.string(), "--quiet"},
                                         std::chrono::seconds(60));
        EXPECT_EQ(ok.exit_code, 0) << ok.output;
    }
    for (const auto& c : cases) {
        const auto r = rel::run_process({COLIVE_CLI_EXE, "--source", c.source, "--model", c.model, "--mode", "both", "--quiet"},
                                        std::chrono::seconds(60));
        EXPECT_FALSE(r.timed_out) << c.model;
        EXPECT_EQ(r.signal, 0) << c.model << "\n" << r.output;
        EXPECT_EQ(r.exit_code, 1) << c.model << "\n" << r.output;
        EXPECT_NE(r.err_line.find("error"), std::string::npos) << r.output;
        for (const auto& w : c.words) EXPECT_NE(r.err_line.find(w), std::string::npos) << r.err_line << " / want " << w;
    }
}

TEST(BadModelFiles, CliTokenModeRefusesBadTokenFiles) {
    rel::TempDir d;
    const auto model = rel::data("rel_tiny.safetensors").string();   // d_in 6
    rel::write_bytes(d / "w7.npy", npy_f32(3, 7));                     // 3 tokens of width 7
    rel::write_bytes(d / "w6.npy", npy_f32(3, 6));
    rel::write_bytes(d / "odd.f32", std::vector<std::uint8_t>(6 * 4 + 1, 0));
    rel::write_bytes(d / "empty.npy", {});
    rel::write_text(d / "text.npy", "\x93NUMPY garbage");
    struct Case {
        std::string tokens;
        std::vector<std::string> words;
    };
    const Case cases[] = {{(d / "w7.npy").string(), {"7", "6"}},
                          {(d / "odd.f32").string(), {"odd.f32"}},
                          {(d / "empty.npy").string(), {"empty.npy"}},
                          {(d / "text.npy").string(), {"text.npy"}},
                          {(d / "missing.npy").string(), {"missing.npy"}}};
    // the valid file runs (so the failures above are about the files)
    const auto ok = rel::run_process({COLIVE_CLI_EXE, "--model", model, "--tokens", (d / "w6.npy").string(), "--out",
                                      (d / "out.npy").string(), "--quiet"},
                                     std::chrono::seconds(60));
    EXPECT_EQ(ok.exit_code, 0) << ok.output;
    for (const auto& c : cases) {
        const auto r = rel::run_process({COLIVE_CLI_EXE, "--model", model, "--tokens", c.tokens, "--out",
                                         (d / "out.npy").string(), "--quiet"},
                                        std::chrono::seconds(60));
        EXPECT_EQ(r.signal, 0) << r.output;
        EXPECT_EQ(r.exit_code, 1) << c.tokens << "\n" << r.output;
        for (const auto& w : c.words) EXPECT_NE(r.err_line.find(w), std::string::npos) << r.err_line << " / want " << w;
    }
}
#endif
