// SPDX-License-Identifier: MIT
#include "pipeline/pipeline.h"
#include "sources/file_source.h"
#include "test_media.h"

#include "colive/features.h"

#include <gtest/gtest.h>

#include <cmath>
#include <mutex>

using namespace colive;
using colive::test::TempDir;
using namespace std::chrono_literals;

namespace {

PipelineConfig file_config(const std::filesystem::path& media, const std::filesystem::path& model, RunMode mode) {
    PipelineConfig c;
    c.source = "file:" + media.string();
    c.model_path = model.string();
    c.mode = mode;
    c.realtime = false;   // as fast as possible, lossless
    return c;
}

// The oracle: the same file read directly, tokens made by hand, one continual Stream.
std::vector<std::vector<float>> direct_continual(const std::filesystem::path& media, const std::filesystem::path& model_path) {
    auto model = Model::load(model_path);
    Stream stream(model, Mode::Continual);
    std::vector<std::vector<float>> out;
    auto on_token = [&](const Token& t) {
        const auto r = stream.step(t.values);
        out.emplace_back(r.probs.begin(), r.probs.end());
    };
    auto src = make_source(parse_source_spec("file:" + media.string()), {.loop = false, .realtime = false, .resources_dir = {}});
    src->open();
    MediaItem item;
    if (src->modality() == Modality::Video) {
        VideoFeatureParams vp;
        vp.token_rate_hz = model->config().token_rate_hz;
        VideoFeatures f(vp);
        while (src->read(item) == ReadStatus::Ok) f.push(item.frame, item.media_time_s, on_token);
    } else {
        AudioFeatureParams ap;
        ap.token_hop_s = 1.0 / model->config().token_rate_hz;
        AudioFeatures f(ap);
        while (src->read(item) == ReadStatus::Ok) f.push(item.samples, item.channels, item.rate_hz, on_token);
        f.flush(on_token);
    }
    return out;
}

void expect_same_as_direct(const std::vector<StepRecord>& recs, const std::vector<std::vector<float>>& direct) {
    ASSERT_EQ(recs.size(), direct.size());
    for (std::size_t i = 0; i < recs.size(); ++i) {
        ASSERT_EQ(recs[i].step, static_cast<std::int64_t>(i));
        const auto& p = recs[i].out[1].probs;
        ASSERT_EQ(p.size(), direct[i].size());
        for (std::size_t c = 0; c < p.size(); ++c) ASSERT_NEAR(p[c], direct[i][c], 1e-6) << "step " << i;
    }
}

}  // namespace

TEST(Pipeline, VideoFileBothModesAgreeAndMatchDirectRun) {
    TempDir d;
    colive::test::write_test_video(d / "v.avi", 60, 25.0);
    Pipeline p;
    std::mutex m;
    std::vector<StepRecord> via_callback;
    auto cfg = file_config(d / "v.avi", colive::test::tiny_video_model(), RunMode::Both);
    cfg.on_record = [&](const StepRecord& r) {
        std::lock_guard lock(m);
        via_callback.push_back(r);
    };
    p.start(cfg);
    ASSERT_EQ(p.wait_finished(60s), PipelineState::Ended) << p.snapshot().message;
    const auto snap = p.snapshot();
    const auto recs = p.records_after(0);
    EXPECT_GE(recs.size(), 20u);
    EXPECT_EQ(static_cast<std::int64_t>(recs.size()), snap.tokens);
    EXPECT_EQ(via_callback.size(), recs.size());
    EXPECT_EQ(snap.dropped_items, 0u);
    EXPECT_EQ(snap.dropped_tokens, 0u);
    EXPECT_EQ(snap.classes.size(), 4u);
    EXPECT_GT(snap.modes[0].macs_per_step, snap.modes[1].macs_per_step);
    int compared = 0;
    for (const auto& r : recs) {
        ASSERT_TRUE(r.out[0].present && r.out[1].present);
        if (r.out[0].warmup) continue;
        for (std::size_t c = 0; c < r.out[0].probs.size(); ++c) EXPECT_NEAR(r.out[0].probs[c], r.out[1].probs[c], 1e-4);
        EXPECT_GE(r.abs_diff, 0.0);
        EXPECT_LT(r.abs_diff, 1e-4);
        ++compared;
    }
    EXPECT_GT(compared, 5);
    EXPECT_LT(snap.max_abs_diff, 1e-4);
    EXPECT_GE(snap.max_abs_diff, 0.0);
    expect_same_as_direct(recs, direct_continual(d / "v.avi", colive::test::tiny_video_model()));
    EXPECT_NE(snap.message.find("End of"), std::string::npos) << snap.message;
}

// Mode switches during a session: the source is not restarted (one session, steps numbered on),
// a mode that joins is primed (its first output is already past warm-up) and every output of either
// mode, before and after each switch, equals the direct continual run of the whole file.
TEST(Pipeline, ModeSwitchKeepsTheSessionAndJoinsExactly) {
    TempDir d;
    colive::test::write_test_video(d / "v.avi", 200, 25.0);
    const auto model = colive::test::tiny_video_model();
    Pipeline p;
    auto cfg = file_config(d / "v.avi", model, RunMode::Continual);
    // Switch from the engine thread's record callback, so the switch points are deterministic.
    const std::pair<std::int64_t, RunMode> plan[] = {{12, RunMode::Both}, {30, RunMode::Regular}, {50, RunMode::Continual}};
    std::vector<bool> accepted;
    cfg.on_record = [&](const StepRecord& r) {
        for (const auto& [at, mode] : plan)
            if (r.step == at) accepted.push_back(p.set_mode(mode));
    };
    p.start(cfg);
    ASSERT_EQ(p.wait_finished(60s), PipelineState::Ended) << p.snapshot().message;
    EXPECT_EQ(accepted, std::vector<bool>(3, true));
    const auto snap = p.snapshot();
    const auto recs = p.records_after(0);
    ASSERT_GE(recs.size(), 65u);
    EXPECT_EQ(snap.mode, RunMode::Continual);
    EXPECT_FALSE(snap.modes[0].active);
    EXPECT_TRUE(snap.modes[1].active);
    const auto direct = direct_continual(d / "v.avi", model);
    ASSERT_EQ(recs.size(), direct.size());
    for (std::size_t i = 0; i < recs.size(); ++i) {
        const StepRecord& r = recs[i];
        ASSERT_EQ(r.session, recs[0].session);
        ASSERT_EQ(r.step, static_cast<std::int64_t>(i));
        const bool want_reg = (i > 12 && i <= 50), want_cont = (i <= 30 || i > 50);
        ASSERT_EQ(r.out[0].present, want_reg) << "step " << i;
        ASSERT_EQ(r.out[1].present, want_cont) << "step " << i;
        for (int m = 0; m < 2; ++m) {
            if (!r.out[m].present) continue;
            EXPECT_EQ(r.out[m].warmup, i + 1 < 8u) << "mode " << m << " step " << i;
            if (r.out[m].warmup) continue;
            ASSERT_EQ(r.out[m].probs.size(), direct[i].size());
            for (std::size_t c = 0; c < direct[i].size(); ++c)
                EXPECT_NEAR(r.out[m].probs[c], direct[i][c], 1e-5) << "mode " << m << " step " << i;
        }
    }
    EXPECT_FALSE(p.set_mode(RunMode::Both));   // the session has ended: the caller must start() again
}

TEST(Pipeline, AudioFileMatchesDirectRun) {
    TempDir d;
    colive::test::write_test_wav(d / "a.wav", 44100, 2, 3.0, 660.0);
    Pipeline p;
    p.start(file_config(d / "a.wav", colive::test::tiny_audio_model(), RunMode::Continual));
    ASSERT_EQ(p.wait_finished(60s), PipelineState::Ended) << p.snapshot().message;
    const auto recs = p.records_after(0);
    EXPECT_GE(recs.size(), 8u);
    for (const auto& r : recs) EXPECT_FALSE(r.out[0].present);
    expect_same_as_direct(recs, direct_continual(d / "a.wav", colive::test::tiny_audio_model()));
    const auto snap = p.snapshot();
    EXPECT_EQ(snap.modality, Modality::Audio);
    EXPECT_GT(snap.logmel_rows, 0);
    EXPECT_FALSE(snap.modes[0].active);
    EXPECT_GT(snap.modes[0].macs_per_step, 0);   // still known analytically
}

TEST(Pipeline, ErrorsBecomeStatusMessages) {
    TempDir d;
    colive::test::write_test_video(d / "v.avi", 10);
    colive::test::write_test_wav(d / "a.wav", 16000, 1, 1.0);
    colive::test::write_bytes(d / "broken.mp4", std::string(3000, 'x'));
    struct Case {
        PipelineConfig cfg;
        std::vector<std::string> words;
    };
    std::vector<Case> cases;
    cases.push_back({file_config(d / "missing.mp4", colive::test::tiny_video_model(), RunMode::Both), {"not found", "missing.mp4"}});
    cases.push_back({file_config(d / "broken.mp4", colive::test::tiny_video_model(), RunMode::Both), {"broken.mp4"}});
    cases.push_back({file_config(d / "v.avi", d / "nope.safetensors", RunMode::Both), {"not found", "nope.safetensors"}});
    cases.push_back({file_config(d / "v.avi", colive::test::tiny_audio_model(), RunMode::Both), {"audio", "video"}});
    cases.push_back({file_config(d / "v.avi", d.path / "x" / "tiny.safetensors", RunMode::Both), {"not found"}});
    cases.push_back({file_config(d / "v.avi", colive::test::tiny_badwidth_model(), RunMode::Both),
                     {std::to_string(VideoFeatures().dim() + 7), std::to_string(VideoFeatures().dim())}});
    PipelineConfig cam;
    cam.source = "camera:63";
    cases.push_back({cam, {"camera"}});
    PipelineConfig bad;
    bad.source = "webcam";
    cases.push_back({bad, {"unknown source", "webcam"}});
    Pipeline p;
    for (const auto& c : cases) {
        p.start(c.cfg);
        EXPECT_EQ(p.wait_finished(30s), PipelineState::Error) << c.cfg.source;
        const auto snap = p.snapshot();
        for (const auto& w : c.words) EXPECT_NE(snap.message.find(w), std::string::npos) << snap.message << " / want " << w;
        EXPECT_EQ(snap.message.find('\n'), std::string::npos);
        EXPECT_EQ(p.live_threads(), 0);
    }
    // and the pipeline still works afterwards
    p.start(file_config(d / "v.avi", colive::test::tiny_video_model(), RunMode::Regular));
    EXPECT_EQ(p.wait_finished(30s), PipelineState::Ended) << p.snapshot().message;
}

TEST(Pipeline, SwitchingManyTimesLeaksNoThreads) {
    TempDir d;
    colive::test::write_test_video(d / "v.avi", 40);
    colive::test::write_test_wav(d / "a.wav", 48000, 1, 2.0);
    Pipeline p;
    const RunMode modes[3] = {RunMode::Regular, RunMode::Continual, RunMode::Both};
    for (int i = 0; i < 40; ++i) {
        PipelineConfig c = i % 2 ? file_config(d / "a.wav", colive::test::tiny_audio_model(), modes[i % 3])
                                 : file_config(d / "v.avi", colive::test::tiny_video_model(), modes[i % 3]);
        c.realtime = (i % 4) < 2;   // mix paced and unpaced runs
        c.loop = true;
        p.start(c);
        if (i % 5 == 0) std::this_thread::sleep_for(30ms);
    }
    p.stop();
    EXPECT_EQ(p.wait_finished(30s), PipelineState::Idle);
    EXPECT_EQ(p.live_threads(), 0);
    // the last requested session really ran (it was replaced only by stop())
    p.start(file_config(d / "v.avi", colive::test::tiny_video_model(), RunMode::Both));
    EXPECT_TRUE(p.wait_steps(5, 30s));
    EXPECT_GE(p.snapshot().tokens, 5);
}

namespace {
int open_fds() {
    int n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
}
}  // namespace

TEST(Pipeline, SequentialSessionsLeakNoThreadsOrFileDescriptors) {
    TempDir d;
    colive::test::write_test_video(d / "v.avi", 30);
    colive::test::write_test_wav(d / "a.wav", 44100, 2, 2.0);
    Pipeline p;
    // warm up once (FFmpeg/OpenCV open their global things on first use)
    p.start(file_config(d / "v.avi", colive::test::tiny_video_model(), RunMode::Both));
    p.wait_finished(30s);
    p.start(file_config(d / "a.wav", colive::test::tiny_audio_model(), RunMode::Both));
    p.wait_finished(30s);
    p.stop();
    p.wait_finished(30s);
    const int fds = open_fds();
    for (int i = 0; i < 20; ++i) {
        auto c = i % 2 ? file_config(d / "a.wav", colive::test::tiny_audio_model(), RunMode::Both)
                       : file_config(d / "v.avi", colive::test::tiny_video_model(), RunMode::Continual);
        p.start(c);
        ASSERT_TRUE(p.wait_steps(2, 30s)) << p.snapshot().message;   // really running
    }
    p.stop();
    EXPECT_EQ(p.wait_finished(30s), PipelineState::Idle);
    EXPECT_EQ(p.live_threads(), 0);
    EXPECT_EQ(open_fds(), fds);
}

TEST(Pipeline, PausedFileDoesNotAdvance) {
    TempDir d;
    colive::test::write_test_video(d / "v.avi", 200);
    Pipeline p;
    auto c = file_config(d / "v.avi", colive::test::tiny_video_model(), RunMode::Continual);
    c.realtime = true;
    p.start(c);
    ASSERT_TRUE(p.wait_steps(2, 30s));
    p.set_paused(true);
    std::this_thread::sleep_for(300ms);   // let in-flight items drain
    const auto a = p.snapshot().tokens;
    std::this_thread::sleep_for(400ms);
    EXPECT_EQ(p.snapshot().tokens, a);
    EXPECT_EQ(p.snapshot().state, PipelineState::Paused);
    // A mode switch while paused takes effect without a token (and without restarting).
    const auto session = p.snapshot().session;
    ASSERT_TRUE(p.set_mode(RunMode::Both));
    for (int i = 0; i < 100 && p.snapshot().mode != RunMode::Both; ++i) std::this_thread::sleep_for(20ms);
    EXPECT_EQ(p.snapshot().mode, RunMode::Both);
    EXPECT_TRUE(p.snapshot().modes[0].active);
    EXPECT_EQ(p.snapshot().tokens, a);
    EXPECT_EQ(p.snapshot().session, session);
    p.set_paused(false);
    EXPECT_TRUE(p.wait_steps(a + 2, 30s));
    const auto recs = p.records_after(0);
    ASSERT_FALSE(recs.empty());
    EXPECT_TRUE(recs.back().out[0].present && recs.back().out[1].present);
    EXPECT_EQ(recs.back().session, session);
}

TEST(Pipeline, DestructorStopsALoopingSource) {
    TempDir d;
    colive::test::write_test_video(d / "v.avi", 10);
    auto p = std::make_unique<Pipeline>();
    auto c = file_config(d / "v.avi", colive::test::tiny_video_model(), RunMode::Both);
    c.loop = true;
    p->start(c);
    ASSERT_TRUE(p->wait_steps(30, 30s));   // it loops past the end
    p.reset();                             // must return (joins every thread)
    SUCCEED();
}

TEST(Pipeline, DeviceErrorMidStreamIsAMessage) {
    Pipeline p;
    PipelineConfig c;
    c.source = "camera:test-cam";
    c.model_path = colive::test::tiny_video_model().string();
    c.make_source = [] { return std::make_unique<colive::test::FailingCamera>(60); };
    p.start(c);
    EXPECT_EQ(p.wait_finished(30s), PipelineState::Error);
    const auto snap = p.snapshot();
    EXPECT_NE(snap.message.find("unplugged"), std::string::npos) << snap.message;
    EXPECT_GT(snap.tokens, 5);           // it ran before failing, and what ran stays visible
    EXPECT_FALSE(p.records_after(0).empty());
    EXPECT_EQ(p.live_threads(), 0);
}
