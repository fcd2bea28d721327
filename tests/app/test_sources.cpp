// SPDX-License-Identifier: MIT
#include "sources/camera_source.h"
#include "sources/file_source.h"
#include "sources/resource_paths.h"
#include "sources/source.h"
#include "test_media.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace colive;
using colive::test::TempDir;

TEST(SourceSpec, ParsesEveryForm) {
    EXPECT_EQ(parse_source_spec("demo-video").kind, SourceSpec::Kind::DemoVideo);
    EXPECT_EQ(parse_source_spec("demo-audio").kind, SourceSpec::Kind::DemoAudio);
    auto c = parse_source_spec("camera");
    EXPECT_EQ(c.kind, SourceSpec::Kind::Camera);
    EXPECT_EQ(c.arg, "");
    c = parse_source_spec("camera:2");
    EXPECT_EQ(c.kind, SourceSpec::Kind::Camera);
    EXPECT_EQ(c.arg, "2");
    c = parse_source_spec("camera:Integrated Webcam: HD");
    EXPECT_EQ(c.arg, "Integrated Webcam: HD");   // only the first colon separates
    auto m = parse_source_spec("mic:USB Audio");
    EXPECT_EQ(m.kind, SourceSpec::Kind::Mic);
    EXPECT_EQ(m.arg, "USB Audio");
    EXPECT_EQ(parse_source_spec("mic").arg, "");
    auto f = parse_source_spec("file:/tmp/a b.mp4");
    EXPECT_EQ(f.kind, SourceSpec::Kind::File);
    EXPECT_EQ(f.arg, "/tmp/a b.mp4");
    // canonical text parses back to the same thing
    for (const char* s : {"camera:/dev/video3", "mic:x", "file:/a.wav", "demo-video", "demo-audio", "camera"}) {
        const auto p = parse_source_spec(s);
        const auto q = parse_source_spec(p.text());
        EXPECT_EQ(p.kind, q.kind) << s;
        EXPECT_EQ(p.arg, q.arg) << s;
    }
}

TEST(SourceSpec, RejectsBadSyntaxWithOneLine) {
    for (const char* bad : {"", "   ", "webcam", "file:", "http://x/y.mp4", "/definitely/not/here.mp4"}) {
        try {
            parse_source_spec(bad);
            FAIL() << "accepted '" << bad << "'";
        } catch (const SourceError& e) {
            const std::string msg = e.what();
            EXPECT_FALSE(msg.empty());
            EXPECT_EQ(msg.find('\n'), std::string::npos);
        }
    }
}

TEST(SourceSpec, BareExistingPathIsAFile) {
    TempDir d;
    colive::test::write_test_wav(d / "x.wav", 16000, 1, 0.1);
    const auto s = parse_source_spec((d / "x.wav").string());
    EXPECT_EQ(s.kind, SourceSpec::Kind::File);
}

TEST(SourceFactory, ModalityByExtension) {
    EXPECT_EQ(guess_file_modality("a.WAV"), Modality::Audio);
    EXPECT_EQ(guess_file_modality("a.flac"), Modality::Audio);
    EXPECT_EQ(guess_file_modality("a.mp4"), Modality::Video);
    EXPECT_EQ(guess_file_modality("a.avi"), Modality::Video);
}

TEST(VideoFileSource, ReadsEveryFrameWithMediaTimes) {
    TempDir d;
    colive::test::write_test_video(d / "v.avi", 20, 25.0, 160, 120);
    auto src = make_source(parse_source_spec("file:" + (d / "v.avi").string()), {.loop = false, .realtime = false, .resources_dir = {}});
    ASSERT_EQ(src->modality(), Modality::Video);
    src->open();
    EXPECT_NE(src->info().detail.find("160x120"), std::string::npos) << src->info().detail;
    MediaItem item;
    int n = 0;
    while (src->read(item) == ReadStatus::Ok) {
        EXPECT_EQ(item.frame.cols, 160);
        EXPECT_EQ(item.frame.rows, 120);
        EXPECT_NEAR(item.media_time_s, n / 25.0, 1e-9);
        ++n;
    }
    EXPECT_EQ(n, 20);
    EXPECT_EQ(src->read(item), ReadStatus::End);
}

TEST(VideoFileSource, LoopsAndKeepsTimeIncreasing) {
    TempDir d;
    colive::test::write_test_video(d / "v.avi", 10);
    VideoFileSource src(d / "v.avi", /*loop=*/true, /*realtime=*/false);
    src.open();
    MediaItem item;
    double last = -1;
    for (int i = 0; i < 35; ++i) {
        ASSERT_EQ(src.read(item), ReadStatus::Ok) << "frame " << i;
        EXPECT_GT(item.media_time_s, last);
        last = item.media_time_s;
    }
}

TEST(AudioFileSource, DeliversTheFileSamplesExactly) {
    TempDir d;
    const auto expected = colive::test::write_test_wav(d / "a.wav", 22050, 2, 0.5, 1000.0);
    auto src = make_source(parse_source_spec("file:" + (d / "a.wav").string()), {.loop = false, .realtime = false, .resources_dir = {}});
    ASSERT_EQ(src->modality(), Modality::Audio);
    src->open();
    std::vector<float> got;
    MediaItem item;
    double expect_t = 0;
    while (src->read(item) == ReadStatus::Ok) {
        EXPECT_EQ(item.channels, 2);
        EXPECT_EQ(item.rate_hz, 22050);
        EXPECT_NEAR(item.media_time_s, expect_t, 1e-9);
        expect_t += static_cast<double>(item.samples.size() / 2) / 22050.0;
        got.insert(got.end(), item.samples.begin(), item.samples.end());
    }
    ASSERT_EQ(got.size(), expected.size());
    double maxerr = 0;
    for (std::size_t i = 0; i < got.size(); ++i) maxerr = std::max(maxerr, static_cast<double>(std::fabs(got[i] - expected[i])));
    EXPECT_LT(maxerr, 1.0 / 32768.0 + 1e-7);
}

TEST(AudioFileSource, LoopsBackToTheStart) {
    TempDir d;
    colive::test::write_test_wav(d / "a.wav", 8000, 1, 0.2);   // 1600 frames
    AudioFileSource src(d / "a.wav", true, false);
    src.open();
    MediaItem item;
    std::size_t total = 0;
    for (int i = 0; i < 10; ++i) {
        ASSERT_EQ(src.read(item), ReadStatus::Ok);
        total += item.samples.size();
    }
    EXPECT_GT(total, 1600u * 3);
}

TEST(SourceErrors, MissingFile) {
    EXPECT_THROW(make_source(parse_source_spec("file:/no/such/clip.mp4")), SourceError);
    VideoFileSource v("/no/such/clip.mp4", false, false);
    EXPECT_THROW(v.open(), SourceError);
    AudioFileSource a("/no/such/clip.wav", false, false);
    EXPECT_THROW(a.open(), SourceError);
}

TEST(SourceErrors, CorruptFiles) {
    TempDir d;
    colive::test::write_bytes(d / "bad.mp4", std::string(5000, '\x7f'));
    colive::test::write_bytes(d / "bad.wav", "RIFF\x10\x00\x00\x00WAVEjunkjunkjunk");
    colive::test::write_bytes(d / "empty.avi", "");
    for (const char* f : {"bad.mp4", "empty.avi"}) {
        auto s = make_source(parse_source_spec("file:" + (d / f).string()));
        try {
            s->open();
            FAIL() << f << " opened";
        } catch (const SourceError& e) {
            EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << e.what();
        }
    }
    auto s = make_source(parse_source_spec("file:" + (d / "bad.wav").string()));
    EXPECT_THROW(s->open(), SourceError);
}

TEST(SourceErrors, MissingCamera) {
    // An index far beyond any real machine's cameras, a missing node and an unknown name.
    for (const char* spec : {"camera:63", "camera:/dev/video63", "camera:No Such Camera 12345"}) {
        auto s = make_source(parse_source_spec(spec));
        try {
            s->open();
            FAIL() << spec << " opened";
        } catch (const SourceError& e) {
            EXPECT_FALSE(std::string(e.what()).empty());
        }
    }
}

TEST(SourceErrors, DirectoryIsNotAFile) {
    TempDir d;
    EXPECT_THROW(make_source(parse_source_spec("file:" + d.path.string())), SourceError);
}

TEST(ResourcePaths, DemoClipPreferredDirAndModality) {
    TempDir d;
    colive::test::write_test_video(d / "demo-video.avi", 3);
    colive::test::write_test_wav(d / "demo-audio.wav", 16000, 1, 0.1);
    colive::test::write_bytes(d / "README.md", "x");
    auto v = find_demo_clip(Modality::Video, d.path);
    auto a = find_demo_clip(Modality::Audio, d.path);
    ASSERT_TRUE(v && a);
    EXPECT_EQ(v->filename(), "demo-video.avi");
    EXPECT_EQ(a->filename(), "demo-audio.wav");
    auto src = make_source(parse_source_spec("demo-audio"), {.loop = false, .realtime = false, .resources_dir = d.path});
    EXPECT_EQ(src->modality(), Modality::Audio);
    EXPECT_EQ(src->info().name, "demo-audio.wav");
}
