// SPDX-License-Identifier: MIT
// AudioFileReader (libsndfile) and the colive-extract tool on files written here: the tool's .npy
// output must equal the extractors run in-process, and bad input must fail with one line.
#include "colive/features.h"
#include "colive/npy.h"
#include "npy_reader.h"
#include "sources/audio_file_reader.h"

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <string>

namespace fs = std::filesystem;

namespace {
struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() / ("colive_extract_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
};

std::vector<float> stereo_music(int rate, double seconds) {
    const auto n = static_cast<std::size_t>(rate * seconds);
    std::vector<float> x(2 * n);
    for (std::size_t i = 0; i < n; ++i) {
        const double t = static_cast<double>(i) / rate;
        const double env = std::exp(-std::fmod(t, 0.5) * 10.0);
        x[2 * i] = static_cast<float>(0.3 * env * std::sin(2 * std::numbers::pi * 220.0 * t));
        x[2 * i + 1] = static_cast<float>(0.2 * std::sin(2 * std::numbers::pi * 660.0 * t));
    }
    return x;
}

void write_wav(const fs::path& p, const std::vector<float>& x, int rate, int channels, int format) {
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = channels;
    info.format = format;
    SNDFILE* f = sf_open(p.string().c_str(), SFM_WRITE, &info);
    ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
    sf_writef_float(f, x.data(), static_cast<sf_count_t>(x.size() / static_cast<std::size_t>(channels)));
    sf_close(f);
}

int run(const std::string& args, std::string* out = nullptr) {
    const std::string cmd = std::string(COLIVE_EXTRACT_EXE) + " " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return -1;
    std::string text;
    char buf[512];
    while (std::fgets(buf, sizeof buf, p)) text += buf;
    const int status = pclose(p);
    if (out) *out = text;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
}  // namespace

TEST(AudioFileReader, ReadsWavAndFlacWithRateAndChannels) {
    TempDir d;
    const auto x = stereo_music(44100, 1.0);
    write_wav(d.path / "a.wav", x, 44100, 2, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    write_wav(d.path / "a.flac", x, 44100, 2, SF_FORMAT_FLAC | SF_FORMAT_PCM_24);
    for (const char* name : {"a.wav", "a.flac"}) {
        colive::AudioFileReader r(d.path / name);
        EXPECT_EQ(r.rate(), 44100);
        EXPECT_EQ(r.channels(), 2);
        EXPECT_EQ(r.frames(), 44100);
        int rate = 0, ch = 0;
        const auto all = colive::AudioFileReader::read_all(d.path / name, rate, ch);
        ASSERT_EQ(all.size(), x.size());
        double err = 0;
        for (std::size_t i = 0; i < x.size(); ++i) err = std::max(err, static_cast<double>(std::abs(all[i] - x[i])));
        EXPECT_LT(err, 1e-6) << name;   // 24-bit FLAC: quantisation 2^-23
        std::vector<float> chunk;
        EXPECT_EQ(r.read(chunk, 1000), 1000u);
        EXPECT_EQ(chunk.size(), 2000u);
        r.rewind();
        EXPECT_EQ(r.read(chunk, 10), 10u);
        EXPECT_EQ(chunk[0], all[0]);
    }
}

TEST(AudioFileReader, BadFilesGiveOneLineErrors) {
    TempDir d;
    EXPECT_THROW(colive::AudioFileReader(d.path / "missing.wav"), colive::AudioFileError);
    std::ofstream(d.path / "text.wav") << "not audio at all";
    EXPECT_THROW(colive::AudioFileReader(d.path / "text.wav"), colive::AudioFileError);
    EXPECT_THROW(colive::AudioFileReader(d.path), colive::AudioFileError);
}

TEST(ColiveExtract, AudioTokensEqualTheInProcessExtractor) {
    TempDir d;
    const auto x = stereo_music(48000, 3.0);
    write_wav(d.path / "m.wav", x, 48000, 2, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    std::string out;
    ASSERT_EQ(run("--audio " + (d.path / "m.wav").string() + " --out " + (d.path / "t.npy").string() + " --times " +
                  (d.path / "times.npy").string(), &out), 0) << out;
    EXPECT_NE(out.find("audio-logmel-v2"), std::string::npos) << out;
    const auto t = colive::test::read_npy((d.path / "t.npy").string());
    const auto times = colive::test::read_npy((d.path / "times.npy").string());
    colive::AudioFeatures f;
    std::vector<colive::Token> ref;
    auto sink = [&](const colive::Token& tok) { ref.push_back(tok); };
    f.push(x, 2, 48000, sink);
    f.flush(sink);
    ASSERT_EQ(t.shape, (std::vector<std::size_t>{ref.size(), 276}));
    ASSERT_EQ(times.shape, (std::vector<std::size_t>{ref.size()}));
    for (std::size_t k = 0; k < ref.size(); ++k) {
        EXPECT_DOUBLE_EQ(times.data[k], ref[k].time_s);
        for (std::size_t i = 0; i < 276; ++i) ASSERT_EQ(static_cast<float>(t.data[k * 276 + i]), ref[k].values[i]);
    }
    // --token-rate 10 -> hop 0.1 s.
    ASSERT_EQ(run("--audio " + (d.path / "m.wav").string() + " --token-rate 10 --quiet --out " + (d.path / "t10.npy").string()), 0);
    EXPECT_EQ(colive::test::read_npy((d.path / "t10.npy").string()).shape[0], 21u);   // (3.0 - 0.975) / 0.1 + 1
}

TEST(ColiveExtract, VideoTokensFollowTheFileFrameRate) {
    TempDir d;
    const fs::path video = d.path / "v.avi";
    {
        cv::VideoWriter w(video.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 25.0, cv::Size(160, 120));
        ASSERT_TRUE(w.isOpened());
        cv::Mat tex(240, 640, CV_8UC3);
        cv::randu(tex, 0, 255);
        cv::GaussianBlur(tex, tex, cv::Size(0, 0), 4.0);
        cv::normalize(tex, tex, 0, 255, cv::NORM_MINMAX);
        for (int i = 0; i < 50; ++i) w.write(tex(cv::Rect(300 - 3 * i, 60, 160, 120)).clone());   // content moves right
    }
    std::string out;
    ASSERT_EQ(run("--video " + video.string() + " --out " + (d.path / "t.npy").string() + " --times " + (d.path / "s.npy").string(), &out), 0) << out;
    const auto t = colive::test::read_npy((d.path / "t.npy").string());
    const auto s = colive::test::read_npy((d.path / "s.npy").string());
    ASSERT_EQ(t.shape.size(), 2u);
    EXPECT_EQ(t.shape[1], 196u);
    EXPECT_NEAR(static_cast<double>(t.shape[0]), 19.0, 1.0);   // 2 s at 10 tokens/s, first after 0.1 s
    EXPECT_NEAR(s.data[0], 0.1, 1e-9);
    double vx = 0;
    for (std::size_t k = 0; k < t.shape[0]; ++k) vx += t.data[k * 196 + 56];
    EXPECT_NEAR(vx / static_cast<double>(t.shape[0]), 3.0 * 25.0 / 160.0, 0.05);   // 75 px/s at 160 px = 0.47 widths/s
}

TEST(ColiveExtract, KeypointsGoThroughThePoseTokenizer) {
    // The golden keypoints of tests/features/test_pose_tokens.cpp (30 fps, 640x480) and their
    // reference tokens (scripts/pose_tokens_reference.py).
    TempDir d;
    const std::string g = std::string(COLIVE_GOLDEN_DIR) + "/features/";
    std::string out;
    ASSERT_EQ(run("--keypoints " + g + "pose_kp_gestures.npy --fps 30 --size 640x480 --out " + (d.path / "t.npy").string() +
                  " --times " + (d.path / "s.npy").string(), &out), 0) << out;
    EXPECT_NE(out.find("pose-kp-v1"), std::string::npos) << out;
    const auto t = colive::test::read_npy((d.path / "t.npy").string());
    const auto ref = colive::test::read_npy(g + "pose_tokens_gestures.npy");
    const auto s = colive::test::read_npy((d.path / "s.npy").string());
    ASSERT_EQ(t.shape, ref.shape);
    EXPECT_NEAR(s.data[0], 0.1, 1e-9);
    for (std::size_t i = 0; i < t.size(); ++i) ASSERT_NEAR(t.data[i], ref.data[i], 1e-4 + 1e-4 * std::abs(ref.data[i])) << i;
    EXPECT_EQ(run("--keypoints x.npy --print-id", &out), 0);
    EXPECT_EQ(out, "pose-kp-v1 128\n");
    EXPECT_EQ(run("--keypoints " + g + "pose_kp_gestures.npy --out x.npy", &out), 2);          // no --fps / --size
    EXPECT_EQ(run("--keypoints " + g + "pose_tokens_gestures.npy --fps 30 --size 640x480 --out " + (d.path / "x.npy").string(),
                  &out), 1);                                                                    // wrong shape
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << "one line: " << out;
    EXPECT_NE(out.find("(T, 17, 3)"), std::string::npos) << out;
}

TEST(ColiveExtract, DroppedFramesAreSkippedByTheTokenizer) {
    // A NaN row is a frame the network never saw (dropped as live, colive-extract --drop-frames): the
    // golden 30 fps keypoints with every odd frame dropped must give exactly the tokens of the even
    // frames alone as a 15 fps file (the same frames at the same times; no frame is "nobody in view").
    TempDir d;
    const std::string g = std::string(COLIVE_GOLDEN_DIR) + "/features/";
    const auto kp = colive::test::read_npy(g + "pose_kp_gestures.npy");
    ASSERT_EQ(kp.shape.size(), 3u);
    const std::size_t row = kp.shape[1] * kp.shape[2], T = kp.shape[0];
    std::vector<float> dropped(kp.data.begin(), kp.data.end()), even;
    for (std::size_t t = 0; t < T; ++t) {
        if (t % 2) std::fill(dropped.begin() + static_cast<std::ptrdiff_t>(t * row),
                             dropped.begin() + static_cast<std::ptrdiff_t>((t + 1) * row), std::nanf(""));
        else even.insert(even.end(), kp.data.begin() + static_cast<std::ptrdiff_t>(t * row),
                         kp.data.begin() + static_cast<std::ptrdiff_t>((t + 1) * row));
    }
    colive::npy::save(d.path / "dropped.npy", dropped, kp.shape);
    colive::npy::save(d.path / "even.npy", even, {(T + 1) / 2, kp.shape[1], kp.shape[2]});
    std::string out;
    for (const char* f : {"pose-kp-v1", "pose-kp-v2"}) {
        ASSERT_EQ(run("--keypoints " + (d.path / "dropped.npy").string() + " --fps 30 --size 640x480 --features " + f +
                      " --out " + (d.path / "a.npy").string(), &out), 0) << out;
        ASSERT_EQ(run("--keypoints " + (d.path / "even.npy").string() + " --fps 15 --size 640x480 --features " + f +
                      " --out " + (d.path / "b.npy").string(), &out), 0) << out;
        const auto a = colive::test::read_npy((d.path / "a.npy").string());
        const auto b = colive::test::read_npy((d.path / "b.npy").string());
        ASSERT_EQ(a.shape, b.shape) << f;
        ASSERT_GT(a.shape[0], 10u) << f;
        for (std::size_t i = 0; i < a.size(); ++i) ASSERT_EQ(a.data[i], b.data[i]) << f << " " << i;
    }
    // and the dropped frames do change the tokens against the every-frame file
    ASSERT_EQ(run("--keypoints " + g + "pose_kp_gestures.npy --fps 30 --size 640x480 --features pose-kp-v2 --out " +
                  (d.path / "c.npy").string(), &out), 0) << out;
    const auto a = colive::test::read_npy((d.path / "a.npy").string());
    const auto c = colive::test::read_npy((d.path / "c.npy").string());
    ASSERT_EQ(a.shape, c.shape);
    double diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) diff = std::max(diff, double(std::abs(a.data[i] - c.data[i])));
    EXPECT_GT(diff, 1e-3);
}

TEST(ColiveExtract, HandObservationsGiveThePoseKpV3Tokens) {
    // The golden keypoints and hand observations against the numpy reference's pose-kp-v3 tokens.
    TempDir d;
    const std::string g = std::string(COLIVE_GOLDEN_DIR) + "/features/";
    const std::string kp = "--keypoints " + g + "pose_kp_gestures.npy --fps 30 --size 640x480 --features pose-kp-v3 ";
    std::string out;
    ASSERT_EQ(run(kp + "--hands " + g + "pose_hands_gestures.npy --out " + (d.path / "t.npy").string(), &out), 0) << out;
    EXPECT_NE(out.find("pose-kp-v3"), std::string::npos) << out;
    const auto t = colive::test::read_npy((d.path / "t.npy").string());
    const auto ref = colive::test::read_npy(g + "pose_tokens_v3_gestures.npy");
    ASSERT_EQ(t.shape, ref.shape);
    for (std::size_t i = 0; i < t.size(); ++i) ASSERT_NEAR(t.data[i], ref.data[i], 1e-4 + 1e-4 * std::abs(ref.data[i])) << i;
    EXPECT_EQ(run(kp + "--out " + (d.path / "x.npy").string(), &out), 2);                       // v3 needs --hands
    EXPECT_NE(out.find("--hands"), std::string::npos) << out;
    EXPECT_EQ(run(kp + "--hands " + g + "pose_hands_fps15.npy --out " + (d.path / "x.npy").string(), &out), 1);   // wrong T
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << "one line: " << out;
}

TEST(ColiveExtract, DumpHandsThroughTheHandDetector) {
    // --dump-hands with --hand-detector: the same (T, 2, 3) observations, found by HandFinder.
    const fs::path models = fs::path(COLIVE_SOURCE_MODELS_DIR) / "pose";
    for (const char* m : {"movenet-lightning.onnx", "handlandmark-lite.onnx", "handtrack.onnx"})
        if (!fs::exists(models / m)) GTEST_SKIP() << models / m << " missing (scripts/setup-pose-models.sh makes it)";
    TempDir d;
    const fs::path video = d.path / "v.avi";
    {
        cv::VideoWriter w(video.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 30.0, cv::Size(160, 120));
        ASSERT_TRUE(w.isOpened());
        for (int i = 0; i < 12; ++i) w.write(cv::Mat(120, 160, CV_8UC3, cv::Scalar::all(20 + 10 * i)));
    }
    const std::string base = "--video " + video.string() + " --pose-model " + (models / "movenet-lightning.onnx").string() +
                             " --dump-keypoints " + (d.path / "k.npy").string() + " --hand-model " +
                             (models / "handlandmark-lite.onnx").string() + " --hand-detector " + (models / "handtrack.onnx").string();
    std::string out;
    ASSERT_EQ(run(base + " --dump-hands " + (d.path / "h.npy").string(), &out), 0) << out;
    const auto k = colive::test::read_npy((d.path / "k.npy").string());
    const auto h = colive::test::read_npy((d.path / "h.npy").string());
    ASSERT_EQ(h.shape.size(), 3u);
    EXPECT_EQ(h.shape[0], k.shape[0]);
    EXPECT_EQ(h.shape[1], 2u);
    EXPECT_EQ(h.shape[2], 3u);
    for (const float v : h.data) EXPECT_EQ(v, 0.0f);  // plain grey frames: nobody, no hand looked for
    // --drop-frames: the frames left out before the networks are NaN rows (skipped by --keypoints), the rest zero
    ASSERT_EQ(run(base + " --dump-hands " + (d.path / "h.npy").string() + " --drop-frames 0.5 --drop-seed 3", &out), 0) << out;
    const auto kd = colive::test::read_npy((d.path / "k.npy").string());
    ASSERT_EQ(kd.shape, k.shape);
    std::size_t nan_rows = 0;
    for (std::size_t t = 0; t < kd.shape[0]; ++t) {
        const double* r = &kd.data[t * 51];
        const bool dropped = std::isnan(r[2]);
        nan_rows += dropped;
        for (int j = 0; j < 51; ++j) EXPECT_EQ(std::isnan(r[j]), dropped) << t << " " << j;
    }
    EXPECT_GT(nan_rows, 0u);
    EXPECT_LT(nan_rows, kd.shape[0]);
    EXPECT_NE(out.find("dropped"), std::string::npos) << out;
    EXPECT_EQ(run(base + " --dump-hands " + (d.path / "h.npy").string() + " --drop-frames 1", &out), 2);
    EXPECT_NE(out.find("--drop-frames"), std::string::npos) << out;
    EXPECT_EQ(run(base, &out), 2);  // --hand-detector without --dump-hands
    EXPECT_NE(out.find("--dump-hands"), std::string::npos) << out;
}

TEST(ColiveExtract, BadInputFailsWithOneLine) {
    TempDir d;
    std::string out;
    EXPECT_EQ(run("--audio " + (d.path / "missing.wav").string() + " --out " + (d.path / "x.npy").string(), &out), 1);
    EXPECT_NE(out.find("not found"), std::string::npos) << out;
    std::ofstream(d.path / "junk.mp4") << "junk";
    EXPECT_EQ(run("--video " + (d.path / "junk.mp4").string() + " --out " + (d.path / "x.npy").string(), &out), 1) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << "one line: " << out;
    EXPECT_EQ(run("--audio a.wav --video b.mp4 --out x.npy", &out), 2);
    EXPECT_EQ(run("--bogus", &out), 2);
    EXPECT_EQ(run("--help", &out), 0);
    EXPECT_NE(out.find("usage"), std::string::npos);
    EXPECT_EQ(run("--audio x.wav --print-id", &out), 0);
    EXPECT_EQ(out, "audio-logmel-v2 276\n");
    EXPECT_EQ(run("--audio x.wav --features audio-logmel-v1 --print-id", &out), 0);
    EXPECT_EQ(out, "audio-logmel-v1 324\n");
    EXPECT_EQ(run("--audio x.wav --features audio-logmel-v0 --print-id", &out), 1);
    EXPECT_EQ(run("--video x.mp4 --print-id", &out), 0);
    EXPECT_EQ(out, "video-motion-v3 196\n");
    EXPECT_EQ(run("--video x.mp4 --features video-motion-v2 --print-id", &out), 0);
    EXPECT_EQ(out, "video-motion-v2 170\n");
    EXPECT_EQ(run("--video x.mp4 --features video-motion-v1 --print-id", &out), 0);
    EXPECT_EQ(out, "video-motion-v1 88\n");
    EXPECT_EQ(run("--video x.mp4 --features video-motion-v9 --print-id", &out), 1);
    EXPECT_FALSE(fs::exists(d.path / "x.npy"));
}
