// SPDX-License-Identifier: MIT
// Bad and unusual media through the real file sources, feature extractors, pipeline and the
// colive-extract / colive-cli executables: zero-length, corrupt, truncated and unsupported files;
// audio at 8 kHz and 192 kHz with 1-8 channels; video frames of 1x1, odd sizes, grey, 16-bit and
// changing sizes; sources that fail to open or whose file is cut while it is being read.
// Every failure is one clear line; nothing crashes or hangs (each read loop has a deadline).
#include "rel_util.h"

#include "pipeline/pipeline.h"
#include "sources/source.h"

#include "colive/features.h"

#include <opencv2/imgcodecs.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <thread>

#include <unistd.h>

using namespace colive;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Opens `path` as a file source and reads it to the end. Returns "" when it played cleanly,
// else the SourceError text. Fails the test on anything else (other exceptions, a hang).
struct PlayResult {
    std::string error;
    std::size_t items = 0;
};

PlayResult play(const fs::path& path, std::chrono::seconds deadline = 20s) {
    PlayResult r;
    const auto t0 = std::chrono::steady_clock::now();
    try {
        auto src = make_source(parse_source_spec("file:" + path.string()), {.loop = false, .realtime = false, .resources_dir = {}});
        src->open();
        MediaItem item;
        for (;;) {
            const ReadStatus st = src->read(item);
            if (st == ReadStatus::End) break;
            if (st == ReadStatus::Ok) ++r.items;
            if (std::chrono::steady_clock::now() - t0 > deadline) {
                ADD_FAILURE() << path << ": still reading after " << deadline.count() << " s";
                break;
            }
        }
        src->close();
    } catch (const SourceError& e) {
        r.error = e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << path << ": unexpected exception type: " << e.what();
        r.error = e.what();
    }
    return r;
}

std::vector<std::uint8_t> random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<std::uint8_t> v(n);
    for (auto& b : v) b = std::uint8_t(rng());
    return v;
}

std::vector<std::uint8_t> prefix(const std::vector<std::uint8_t>& v, double frac) {
    return std::vector<std::uint8_t>(v.begin(), v.begin() + std::ptrdiff_t(double(v.size()) * frac));
}

// Tokens the audio extractor must give for `seconds` of audio (features.h: the first token ends
// at 0.975 s, then one every 0.25 s; flush() emits the tokens the input fully covers).
int expected_audio_tokens(double seconds) { return seconds < 0.975 ? 0 : int(std::floor((seconds - 0.975) / 0.25 + 1e-9)) + 1; }

}  // namespace

TEST(BadMedia, CorruptTruncatedAndUnsupportedFilesFailCleanly) {
    rel::TempDir d;
    rel::write_video(d / "good.avi", 30, 64, 48);
    rel::write_wav(d / "good.wav", 16000, 2, 1.0);
    const auto avi = rel::read_bytes(d / "good.avi");
    const auto wav = rel::read_bytes(d / "good.wav");
    std::vector<std::pair<std::string, std::vector<std::uint8_t>>> files = {
        {"empty.mp4", {}},
        {"empty.wav", {}},
        {"random.mp4", random_bytes(20000, 1)},
        {"random.avi", random_bytes(20000, 2)},
        {"random.wav", random_bytes(20000, 3)},
        {"random.flac", random_bytes(20000, 4)},
        {"random.ogg", random_bytes(20000, 5)},
        {"random.mp3", random_bytes(20000, 6)},
        {"header-only.avi", prefix(avi, 0.02)},
        {"cut-half.avi", prefix(avi, 0.5)},
        {"header-only.wav", std::vector<std::uint8_t>(wav.begin(), wav.begin() + 44)},
        {"cut-half.wav", prefix(wav, 0.5)},
        {"cut-odd.wav", std::vector<std::uint8_t>(wav.begin(), wav.begin() + 44 + 4 * 100 + 3)},
        {"wav-junk-data.wav", [&] {
             auto v = wav;
             auto junk = random_bytes(v.size() - 44, 7);
             std::copy(junk.begin(), junk.end(), v.begin() + 44);
             return v;
         }()},
        {"wav-as-video.avi", wav},
        {"text.mp4", std::vector<std::uint8_t>(4000, 'x')},
        {"text.wav", std::vector<std::uint8_t>(4000, 'x')},
    };
    // a still image named like a video, and a video named like audio
    cv::imwrite((d / "image.png").string(), cv::Mat(32, 32, CV_8UC3, cv::Scalar(10, 200, 30)));
    files.push_back({"image-as-video.avi", rel::read_bytes(d / "image.png")});
    files.push_back({"video-as-audio.wav", avi});
    for (const auto& [name, bytes] : files) rel::write_bytes(d / name, bytes);
    fs::create_directory(d / "folder.mp4");

    for (const auto& [name, bytes] : files) {
        SCOPED_TRACE(name);
        const PlayResult r = play(d / name);
        if (!r.error.empty()) {
            EXPECT_TRUE(rel::one_line(r.error)) << r.error;
            EXPECT_NE(r.error.find(name), std::string::npos) << "error does not name the file: " << r.error;
        }
        std::printf("[ media  ] %-20s %s\n", name.c_str(),
                    r.error.empty() ? ("played " + std::to_string(r.items) + " items").c_str() : r.error.c_str());
    }
    // These cannot be played at all: they must be refused, not "played" as nothing. (A WAV
    // header without data is a valid empty file: it plays zero items and ends.)
    for (const char* name : {"empty.mp4", "empty.wav", "random.wav", "text.wav", "text.mp4"})
        EXPECT_FALSE(play(d / name).error.empty()) << name << " was accepted";
    EXPECT_FALSE(play(d / "folder.mp4").error.empty());
    EXPECT_FALSE(play(d / "missing.wav").error.empty());
}

#if defined(COLIVE_EXTRACT_EXE) && defined(COLIVE_CLI_EXE)
TEST(BadMedia, ExecutablesGiveOneLineAndExitCodeOne) {
    rel::TempDir d;
    rel::write_bytes(d / "empty.wav", {});
    rel::write_bytes(d / "random.mp4", random_bytes(20000, 9));
    rel::write_bytes(d / "text.wav", std::vector<std::uint8_t>(4000, 'x'));
    rel::write_model(d / "audio.safetensors", AudioFeatures().dim(), "audio", 4.0, 8, 3);
    rel::write_model(d / "video.safetensors", VideoFeatures().dim(), "video", 10.0, 8, 3);
    struct Case {
        std::vector<std::string> argv;
        std::string word;
    };
    const std::string out = (d / "out.npy").string();
    const std::vector<Case> cases = {
        {{COLIVE_EXTRACT_EXE, "--audio", (d / "empty.wav").string(), "--out", out}, "empty.wav"},
        {{COLIVE_EXTRACT_EXE, "--audio", (d / "text.wav").string(), "--out", out}, "text.wav"},
        {{COLIVE_EXTRACT_EXE, "--video", (d / "random.mp4").string(), "--out", out}, "random.mp4"},
        {{COLIVE_EXTRACT_EXE, "--video", (d / "missing.mp4").string(), "--out", out}, "missing.mp4"},
        {{COLIVE_CLI_EXE, "--source", "file:" + (d / "empty.wav").string(), "--model", (d / "audio.safetensors").string()}, "empty.wav"},
        {{COLIVE_CLI_EXE, "--source", "file:" + (d / "text.wav").string(), "--model", (d / "audio.safetensors").string()}, "text.wav"},
        {{COLIVE_CLI_EXE, "--source", "file:" + (d / "random.mp4").string(), "--model", (d / "video.safetensors").string()}, "random.mp4"},
        {{COLIVE_CLI_EXE, "--source", "file:" + (d / "missing.mp4").string(), "--model", (d / "video.safetensors").string()}, "missing.mp4"},
        {{COLIVE_CLI_EXE, "--source", "camera:/dev/null", "--model", (d / "video.safetensors").string()}, "camera"},
        {{COLIVE_CLI_EXE, "--source", "camera:97", "--model", (d / "video.safetensors").string()}, "camera"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.argv[1] + " " + c.argv[2]);
        const auto r = rel::run_process(c.argv, 60s);
        EXPECT_FALSE(r.timed_out);
        EXPECT_EQ(r.signal, 0) << r.output;
        EXPECT_EQ(r.exit_code, 1) << r.output;
        EXPECT_NE(r.err_line.find(c.word), std::string::npos) << r.err_line;
        std::printf("[ exe    ] %s\n", r.err_line.c_str());
    }
}
#endif

TEST(BadMedia, AudioAt8And192KilohertzWithOneToEightChannels) {
    rel::TempDir d;
    const double seconds = 2.0;
    const int want = expected_audio_tokens(seconds);
    ASSERT_EQ(want, 5);
    for (int rate : {8000, 192000}) {
        for (int ch = 1; ch <= 8; ++ch) {
            SCOPED_TRACE(std::to_string(rate) + " Hz, " + std::to_string(ch) + " ch");
            const fs::path p = d / ("a" + std::to_string(rate) + "_" + std::to_string(ch) + ".wav");
            rel::write_wav(p, rate, ch, seconds);
            auto src = make_source(parse_source_spec("file:" + p.string()), {.loop = false, .realtime = false, .resources_dir = {}});
            src->open();
            AudioFeatures f;
            int tokens = 0;
            bool finite = true;
            auto on_token = [&](const Token& t) {
                ++tokens;
                for (float v : t.values) finite = finite && std::isfinite(v);
            };
            MediaItem item;
            std::size_t frames = 0;
            while (src->read(item) == ReadStatus::Ok) {
                ASSERT_EQ(item.rate_hz, rate);
                ASSERT_EQ(item.channels, ch);
                frames += item.samples.size() / std::size_t(ch);
                f.push(item.samples, item.channels, item.rate_hz, on_token);
            }
            f.flush(on_token);
            EXPECT_EQ(frames, std::size_t(seconds * rate));
            EXPECT_EQ(tokens, want);
            EXPECT_TRUE(finite);
        }
    }
}

TEST(BadMedia, PipelineRunsEightChannel192KilohertzAndOddSizedGreyVideo) {
    rel::TempDir d;
    rel::write_wav(d / "a.wav", 192000, 8, 2.0);
    rel::write_video(d / "grey.avi", 40, 33, 17, 25.0, false);
    rel::write_video(d / "tiny.avi", 40, 8, 8, 25.0, true);
    rel::write_model(d / "audio.safetensors", AudioFeatures().dim(), "audio", 4.0, 4, 3);
    rel::write_model(d / "video.safetensors", VideoFeatures().dim(), "video", 10.0, 4, 3);
    struct Case {
        fs::path media, model;
        int min_steps;
    };
    for (const Case& c : {Case{d / "a.wav", d / "audio.safetensors", expected_audio_tokens(2.0)},
                          Case{d / "grey.avi", d / "video.safetensors", 10}, Case{d / "tiny.avi", d / "video.safetensors", 10}}) {
        SCOPED_TRACE(c.media.filename().string());
        Pipeline p;
        PipelineConfig cfg;
        cfg.source = "file:" + c.media.string();
        cfg.model_path = c.model.string();
        cfg.mode = RunMode::Both;
        cfg.realtime = false;
        p.start(cfg);
        ASSERT_EQ(p.wait_finished(60s), PipelineState::Ended) << p.snapshot().message;
        const auto recs = p.records_after(0);
        EXPECT_GE(int(recs.size()), c.min_steps);
        for (const auto& r : recs) {
            EXPECT_TRUE(r.out[0].finite && r.out[1].finite) << "step " << r.step;
            if (!r.out[1].warmup) {
                EXPECT_LE(r.abs_diff, 1e-4) << "step " << r.step;
            }
        }
    }
}

TEST(BadMedia, VideoFramesOfEverySizeDepthAndAChangingSize) {
    // 1x1, odd sizes, grey, BGRA, 16-bit, float; then a size change at every step (16:9, 4:3,
    // portrait, 1x1, 1xN, Nx1, large): the extractor restarts its motion reference and carries on.
    VideoFeatures f;
    int tokens = 0, frames = 0;
    bool finite = true;
    auto on_token = [&](const Token& t) {
        ++tokens;
        for (float v : t.values) finite = finite && std::isfinite(v);
    };
    struct Shape {
        int w, h, type;
    };
    const Shape shapes[] = {{1, 1, CV_8UC3},     {3, 5, CV_8UC1},    {33, 17, CV_8UC3},  {160, 90, CV_8UC3},
                            {160, 120, CV_8UC3}, {90, 160, CV_8UC1}, {64, 48, CV_16UC1}, {64, 48, CV_16UC3},
                            {40, 30, CV_8UC4},   {40, 30, CV_32FC1}, {1, 300, CV_8UC1},  {300, 1, CV_8UC1},
                            {1280, 720, CV_8UC3}, {7, 7, CV_16UC4},  {640, 480, CV_8UC1}};
    double t = 0.0;
    for (int round = 0; round < 2; ++round) {
        for (const Shape& s : shapes) {
            SCOPED_TRACE(std::to_string(s.w) + "x" + std::to_string(s.h));
            // 12 frames at 25 fps of a moving gradient, so flow is computed at least twice per size
            for (int k = 0; k < 12; ++k, ++frames) {
                cv::Mat m(s.h, s.w, s.type);
                cv::Mat ramp(s.h, s.w, CV_32FC1);
                for (int y = 0; y < s.h; ++y)
                    for (int x = 0; x < s.w; ++x)
                        ramp.at<float>(y, x) = float(0.5 + 0.5 * std::sin(0.3 * (x + 2 * k) + 0.2 * y));
                const double scale = CV_MAT_DEPTH(s.type) == CV_8U ? 255.0 : CV_MAT_DEPTH(s.type) == CV_16U ? 65535.0 : 1.0;
                cv::Mat one;
                ramp.convertTo(one, CV_MAT_DEPTH(s.type), scale);
                std::vector<cv::Mat> planes(std::size_t(CV_MAT_CN(s.type)), one);
                cv::merge(planes, m);
                ASSERT_NO_THROW(f.push(m, t, on_token));
                t += 0.04;
            }
        }
    }
    EXPECT_TRUE(finite);
    // The token clock runs on media time: about 10 tokens/s minus one restart delay per size change.
    EXPECT_GT(tokens, 0);
    std::printf("[ frames ] %d frames of %zu shapes -> %d tokens\n", frames, std::size(shapes), tokens);
}

TEST(BadMedia, BadFramesAreRefusedWithOneLine) {
    VideoFeatures f;
    auto ignore = [](const Token&) {};
    const cv::Mat bad[] = {cv::Mat(), cv::Mat(8, 8, CV_8UC2, cv::Scalar::all(1)), cv::Mat(8, 8, CV_64FC1, cv::Scalar::all(0.5)),
                           cv::Mat(8, 8, CV_8SC1, cv::Scalar::all(1))};
    for (const auto& m : bad) {
        try {
            f.push(m, 0.0, ignore);
            // a format the extractor chose to convert is fine too
        } catch (const Error& e) {
            EXPECT_TRUE(rel::one_line(e.what())) << e.what();
        }
    }
    try {
        f.push(cv::Mat(8, 8, CV_8UC1, cv::Scalar::all(1)), std::nan(""), ignore);
    } catch (const Error& e) {
        EXPECT_TRUE(rel::one_line(e.what())) << e.what();
    }
}

TEST(BadMedia, SourcesThatFailToOpenBecomeOneLineStatusMessages) {
    Pipeline p;
    rel::TempDir d;
    rel::write_model(d / "video.safetensors", VideoFeatures().dim(), "video", 10.0, 4, 3);
    for (const std::string& src : std::vector<std::string>{"camera:/dev/null", "camera:/dev/does-not-exist", "camera:55", "file:/dev/null",
                                  "file:/proc/self/status", "file:" + (d / "nothing.avi").string()}) {
        SCOPED_TRACE(src);
        PipelineConfig c;
        c.source = src;
        c.model_path = (d / "video.safetensors").string();
        c.realtime = false;
        p.start(c);
        const auto st = p.wait_finished(30s);
        const auto snap = p.snapshot();
        EXPECT_TRUE(st == PipelineState::Error || st == PipelineState::Ended) << to_string(st);
        if (st == PipelineState::Error) {
            EXPECT_TRUE(rel::one_line(snap.message)) << snap.message;
        }
        std::printf("[ open   ] %-32s %s: %s\n", src.c_str(), to_string(st), snap.message.c_str());
        EXPECT_EQ(p.live_threads(), 0);
    }
}

TEST(BadMedia, FileCutWhileBeingReadEndsOrFailsCleanly) {
    // The "device disappears" case for files: the file is truncated (and then overwritten with
    // junk) while the pipeline plays it in real time.
    rel::TempDir d;
    rel::write_model(d / "video.safetensors", VideoFeatures().dim(), "video", 10.0, 4, 3);
    rel::write_model(d / "audio.safetensors", AudioFeatures().dim(), "audio", 4.0, 4, 3);
    for (const char* kind : {"video", "audio"}) {
        SCOPED_TRACE(kind);
        const bool video = std::string(kind) == "video";
        const fs::path media = d / (video ? "v.avi" : "a.wav");
        if (video)
            rel::write_video(media, 250, 96, 64, 25.0);
        else
            rel::write_wav(media, 48000, 2, 10.0);
        Pipeline p;
        PipelineConfig c;
        c.source = "file:" + media.string();
        c.model_path = (d / (video ? "video.safetensors" : "audio.safetensors")).string();
        c.realtime = true;
        p.start(c);
        ASSERT_TRUE(p.wait_steps(3, 30s)) << p.snapshot().message;
        const auto size = fs::file_size(media);
        ASSERT_EQ(::truncate(media.c_str(), off_t(size / 3)), 0);
        std::this_thread::sleep_for(300ms);
        rel::write_bytes(media, random_bytes(size / 5, 11));   // the file is now junk
        const auto st = p.wait_finished(30s);
        const auto snap = p.snapshot();
        EXPECT_TRUE(st == PipelineState::Ended || st == PipelineState::Error) << to_string(st);
        if (st == PipelineState::Error) {
            EXPECT_TRUE(rel::one_line(snap.message)) << snap.message;
        }
        std::printf("[ cut    ] %s: %s after %lld tokens: %s\n", kind, to_string(st), static_cast<long long>(snap.tokens),
                    snap.message.c_str());
        p.stop();
        EXPECT_NE(p.wait_finished(30s), PipelineState::Running);
        EXPECT_EQ(p.live_threads(), 0);
    }
}
