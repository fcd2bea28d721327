// SPDX-License-Identifier: MIT
#include "pipeline.h"

#include "bounded_queue.h"
#include "metrics.h"
#include "sources/resource_paths.h"

#include "colive/features.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace colive {

const char* to_string(RunMode m) {
    switch (m) {
        case RunMode::Regular: return "regular";
        case RunMode::Continual: return "continual";
        case RunMode::Both: return "both";
    }
    return "?";
}

RunMode parse_run_mode(const std::string& s) {
    if (s == "regular") return RunMode::Regular;
    if (s == "continual") return RunMode::Continual;
    if (s == "both") return RunMode::Both;
    throw Error("unknown mode '" + s + "'; expected regular, continual or both");
}

const char* to_string(PipelineState s) {
    switch (s) {
        case PipelineState::Idle: return "idle";
        case PipelineState::Starting: return "starting";
        case PipelineState::Running: return "running";
        case PipelineState::Paused: return "paused";
        case PipelineState::Ended: return "ended";
        case PipelineState::Error: return "error";
    }
    return "?";
}

fs::path resolve_model_path(const std::string& model_path, Modality modality) {
    if (!model_path.empty()) {
        std::error_code ec;
        if (fs::is_regular_file(model_path, ec)) return model_path;
        // A bare name of a bundled model: "genre" or "genre.safetensors".
        fs::path name(model_path);
        if (name.extension().empty()) name += ".safetensors";
        if (!name.has_parent_path())
            for (const auto& d : model_dirs())
                if (fs::is_regular_file(d / name, ec)) return d / name;
        throw ModelError("model file not found: " + model_path);
    }
    auto found = find_default_model(modality);
    if (!found)
        throw ModelError(std::string("no bundled ") + (modality == Modality::Video ? "action" : "genre") +
                         " model found (models/" + (modality == Modality::Video ? "action" : "genre") +
                         ".safetensors); pass --model PATH");
    return *found;
}

bool auto_tries_pose_model(const SourceInfo& source, Modality modality) {
    return modality == Modality::Video && source.kind != "demo-video";
}

// ------------------------------------------------------------------------------------------------
struct TokenMsg {
    Token token;
    Clock::time_point captured{};
};

struct Pipeline::Session {
    PipelineConfig cfg;
    std::uint64_t id = 0;
    std::unique_ptr<Source> source;
    std::shared_ptr<const Model> model;
    std::unique_ptr<VideoFeatures> video;
    std::unique_ptr<AudioFeatures> audio;
    std::vector<Stream> streams;          // in mode order (regular first)
    std::vector<int> stream_slot;         // 0 regular, 1 continual
    std::atomic<int> mode_request{-1};    // a RunMode to switch to before the next token, or -1
    // The last window-1 tokens (ring, d_in floats each), to prime a stream that joins mid-session.
    std::vector<float> history;
    std::size_t history_cap = 0;
    std::unique_ptr<BoundedQueue<MediaItem>> items;
    std::unique_ptr<BoundedQueue<TokenMsg>> tokens;
    std::atomic<bool> stop{false};
    std::atomic<bool> ended{false};       // the source reached its end
    std::atomic<bool> failed{false};
    std::thread source_thread, features_thread, engine_thread;
};

struct Pipeline::Shared {
    mutable std::mutex mutex;
    mutable std::condition_variable cv;
    // requests
    std::optional<PipelineConfig> pending;
    std::uint64_t requested = 0, applied = 0;
    bool quit = false;
    // published state
    Snapshot snap;
    std::deque<StepRecord> records;
    std::size_t record_capacity = 8192;
    std::uint64_t next_seq = 1;
    MovingWindow latency[2]{MovingWindow(200), MovingWindow(200)};
    MovingWindow e2e{200};
    RateMeter rate;
    std::shared_ptr<Session> current;
    std::atomic<bool> paused{false};
    std::atomic<int> live_threads{0};
    std::uint64_t session_counter = 0;

    void fail(Session& s, const std::string& msg) {
        {
            std::lock_guard lock(mutex);
            if (snap.session == s.id && snap.state != PipelineState::Error) {
                snap.state = PipelineState::Error;
                snap.message = msg;
            }
        }
        s.failed = true;
        s.stop = true;
        s.items->close();
        s.tokens->close();
        cv.notify_all();
    }
};

namespace {

// Counts the session threads alive; wakes waiters when one ends (wait_finished() waits for all).
struct ThreadCounter {
    Pipeline::Shared& sh;
    explicit ThreadCounter(Pipeline::Shared& s);
    ~ThreadCounter();
};

ThreadCounter::ThreadCounter(Pipeline::Shared& s) : sh(s) { ++sh.live_threads; }
ThreadCounter::~ThreadCounter() {
    {
        std::lock_guard lock(sh.mutex);
        --sh.live_threads;
    }
    sh.cv.notify_all();
}

float to_db(double v) { return static_cast<float>(v > 1e-6 ? 20.0 * std::log10(v) : -120.0); }

void source_loop(Pipeline::Shared& sh, Pipeline::Session& s) {
    ThreadCounter tc(sh);
    bool was_paused = false;
    try {
        MediaItem item;
        while (!s.stop) {
            if (sh.paused) {
                was_paused = true;
                if (!s.source->is_live()) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(30));
                    continue;
                }
                s.source->read(item);       // live devices keep draining; the data is discarded
                continue;
            }
            if (was_paused) {
                s.source->resync();
                was_paused = false;
            }
            const ReadStatus st = s.source->read(item);
            if (st == ReadStatus::Timeout) continue;
            if (st == ReadStatus::End) {
                s.ended = true;
                break;
            }
            if (!s.items->push(std::move(item))) break;
            item = MediaItem{};
        }
    } catch (const std::exception& e) {
        sh.fail(s, e.what());
    }
    s.items->close();
    // Release the device/file now (an ended file or a failed camera should not stay open until
    // the next switch); the control thread's close() later is a no-op.
    try {
        s.source->close();
    } catch (const std::exception&) {
    }
}

void features_loop(Pipeline::Shared& sh, Pipeline::Session& s) {
    ThreadCounter tc(sh);
    auto last_logmel = Clock::now() - std::chrono::seconds(1);
    std::vector<float> logmel;
    try {
        Clock::time_point captured{};
        auto emit = [&](const Token& t) { s.tokens->push(TokenMsg{t, captured}); };
        for (;;) {
            auto it = s.items->pop_for(std::chrono::milliseconds(100));
            if (!it) {
                if (s.items->closed()) break;
                continue;
            }
            captured = it->captured;
            if (it->modality == Modality::Video) {
                cv::Mat small;
                const cv::Mat& f = it->frame;
                if (f.cols > 480) {
                    cv::resize(f, small, cv::Size(480, std::max(1, f.rows * 480 / f.cols)), 0, 0, cv::INTER_AREA);
                } else {
                    small = f.clone();
                }
                const bool pose = s.video->uses_pose();
                if (!pose) {
                    std::lock_guard lock(sh.mutex);
                    if (sh.snap.session == s.id) {
                        sh.snap.preview = small;
                        sh.snap.media_time_s = it->media_time_s;
                    }
                }
                s.video->push(it->frame, it->media_time_s, emit);
                // With keypoints, the preview shows the frames they were found on (the skeleton
                // then always matches the picture; ~20 frames/s, see VideoFeatureParams::pose_rate_hz).
                double pose_t = -1.0;
                if (const auto kp = pose ? s.video->latest_pose(&pose_t) : std::nullopt; kp && pose_t == it->media_time_s) {
                    // The hands are found once per token slot: the latest stand for the frames until the next.
                    double hands_t = -1.0;
                    auto hands = s.video->latest_hands(&hands_t);
                    const double rate = s.model->config().token_rate_hz > 0.0 ? s.model->config().token_rate_hz : VideoFeatureParams{}.token_rate_hz;
                    if (hands && !(kp->present && hands_t <= pose_t && pose_t - hands_t <= 2.0 / rate)) hands.reset();
                    std::lock_guard lock(sh.mutex);
                    if (sh.snap.session == s.id) {
                        sh.snap.preview = small;
                        sh.snap.media_time_s = it->media_time_s;
                        sh.snap.pose = *kp;
                        sh.snap.hands = hands ? *hands : HandFrames{};
                        sh.snap.hands_time_s = hands ? hands_t : -1.0;
                        sh.snap.nobody_in_view = !kp->present;
                        ++sh.snap.pose_frames;
                        sh.snap.pose_nobody_frames += kp->present ? 0 : 1;
                    }
                }
            } else {
                double sum = 0.0, peak = 0.0;
                for (float v : it->samples) {
                    sum += static_cast<double>(v) * v;
                    peak = std::max(peak, static_cast<double>(std::fabs(v)));
                }
                const double rms = it->samples.empty() ? 0.0 : std::sqrt(sum / static_cast<double>(it->samples.size()));
                s.audio->push(it->samples, it->channels, it->rate_hz, emit);
                int rows = 0, cols = 0;
                const auto now = Clock::now();
                const bool want_logmel = now - last_logmel > std::chrono::milliseconds(50);
                if (want_logmel || s.items->size() == 0) {
                    s.audio->latest_logmel(logmel, rows, cols);
                    if (rows > 0) last_logmel = now;
                }
                std::lock_guard lock(sh.mutex);
                if (sh.snap.session == s.id) {
                    sh.snap.audio_rms_db = to_db(rms);
                    sh.snap.audio_peak_db = to_db(peak);
                    sh.snap.media_time_s = it->media_time_s;
                    if (rows > 0 && cols > 0) {
                        sh.snap.logmel = logmel;
                        sh.snap.logmel_rows = rows;
                        sh.snap.logmel_cols = cols;
                        sh.snap.logmel_time_s = it->media_time_s + static_cast<double>(it->samples.size() / static_cast<std::size_t>(std::max(1, it->channels))) / std::max(1, it->rate_hz);
                    }
                }
            }
        }
        if (s.audio && s.ended && !s.stop) s.audio->flush(emit);
    } catch (const std::exception& e) {
        sh.fail(s, std::string("features: ") + e.what());
    }
    s.tokens->close();
}

Stream new_stream(const Pipeline::Session& s, int slot) {
    return Stream(s.model, slot == 0 ? Mode::Regular : Mode::Continual);
}

// Switches the running session to `mode` between two tokens. Streams of modes that stay keep
// running; a mode that joins gets a new stream reset to the current token index and primed with the
// window-1 tokens before it, so its next output is the one it would have given had it run from the
// start (Stream::reset(first_index)). The source, features and plots carry on.
void switch_mode(Pipeline::Shared& sh, Pipeline::Session& s, RunMode mode, std::int64_t step) {
    const bool want[2] = {runs_slot(mode, 0), runs_slot(mode, 1)};
    std::vector<Stream> streams;
    std::vector<int> slots;
    bool joined[2] = {false, false};
    for (int slot = 0; slot < 2; ++slot) {
        if (!want[slot]) continue;
        bool kept = false;
        for (std::size_t i = 0; i < s.streams.size(); ++i) {
            if (s.stream_slot[i] != slot) continue;
            streams.push_back(std::move(s.streams[i]));
            kept = true;
        }
        if (!kept) {
            streams.push_back(new_stream(s, slot));
            const std::size_t din = static_cast<std::size_t>(s.model->config().d_in);
            const std::int64_t cap = static_cast<std::int64_t>(s.history_cap);
            const std::int64_t have = std::min(step, cap);
            streams.back().reset(step - have);
            for (std::int64_t j = step - have; j < step; ++j) {
                const float* tok = s.history.data() + static_cast<std::size_t>(j % cap) * din;
                streams.back().step(std::span<const float>(tok, din));
            }
            joined[slot] = true;
        }
        slots.push_back(slot);
    }
    s.streams = std::move(streams);
    s.stream_slot = std::move(slots);
    s.cfg.mode = mode;
    std::lock_guard lock(sh.mutex);
    if (sh.snap.session != s.id) return;
    sh.snap.mode = mode;
    for (int m = 0; m < 2; ++m) {
        sh.snap.modes[m].active = want[m];
        if (joined[m] || !want[m]) sh.latency[m].clear();
    }
    if (mode != RunMode::Both) sh.snap.last_abs_diff = -1.0;
}

void engine_loop(Pipeline::Shared& sh, Pipeline::Session& s) {
    ThreadCounter tc(sh);
    const int window = s.model->config().window;
    const std::size_t din = static_cast<std::size_t>(s.model->config().d_in);
    std::int64_t step = 0;
    try {
        for (;;) {
            auto msg = s.tokens->pop_for(std::chrono::milliseconds(100));
            // A switch applies before the next token, or within 100 ms when none comes (paused).
            if (const int req = s.mode_request.exchange(-1); req >= 0)
                switch_mode(sh, s, static_cast<RunMode>(req), step);
            if (!msg) {
                if (s.tokens->closed()) break;
                continue;
            }
            if (s.history_cap > 0 && msg->token.values.size() == din)
                std::copy(msg->token.values.begin(), msg->token.values.end(),
                          s.history.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(step % static_cast<std::int64_t>(s.history_cap)) * din));
            StepRecord rec;
            rec.session = s.id;
            rec.step = step++;
            rec.time_s = msg->token.time_s;
            for (std::size_t i = 0; i < s.streams.size(); ++i) {
                const auto t0 = Clock::now();
                const StepResult r = s.streams[i].step(msg->token.values);
                const auto t1 = Clock::now();
                ModeOutput& o = rec.out[s.stream_slot[i]];
                o.present = true;
                o.probs.assign(r.probs.begin(), r.probs.end());
                o.warmup = r.warmup;
                o.finite = r.finite;
                o.macs = r.macs;
                o.latency_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
            }
            const auto done = Clock::now();
            rec.e2e_ms = std::chrono::duration<double, std::milli>(done - msg->captured).count();
            if (rec.out[0].present && rec.out[1].present && !rec.out[0].warmup && !rec.out[1].warmup &&
                rec.out[0].probs.size() == rec.out[1].probs.size()) {
                double d = 0.0;
                for (std::size_t c = 0; c < rec.out[0].probs.size(); ++c)
                    d = std::max(d, static_cast<double>(std::fabs(rec.out[0].probs[c] - rec.out[1].probs[c])));
                rec.abs_diff = d;
            }
            if (s.cfg.on_record) s.cfg.on_record(rec);
            {
                std::lock_guard lock(sh.mutex);
                if (sh.snap.session != s.id) continue;
                rec.seq = sh.next_seq++;
                for (int m = 0; m < 2; ++m)
                    if (rec.out[m].present) sh.latency[m].add(rec.out[m].latency_ms);
                sh.e2e.add(rec.e2e_ms);
                sh.rate.tick(done);
                sh.snap.tokens = rec.step + 1;
                sh.snap.warm_k = std::min<std::int64_t>(rec.step + 1, window);
                if (rec.abs_diff >= 0.0) {
                    sh.snap.last_abs_diff = rec.abs_diff;
                    sh.snap.max_abs_diff = std::max(sh.snap.max_abs_diff, rec.abs_diff);
                }
                sh.snap.last_seq = rec.seq;
                sh.records.push_back(std::move(rec));
                while (sh.records.size() > sh.record_capacity) sh.records.pop_front();
            }
            sh.cv.notify_all();
        }
    } catch (const std::exception& e) {
        sh.fail(s, std::string("engine: ") + e.what());
    }
    {
        std::lock_guard lock(sh.mutex);
        if (sh.snap.session == s.id && !s.failed && !s.stop && s.ended) {
            sh.snap.state = PipelineState::Ended;
            char buf[160];
            std::snprintf(buf, sizeof buf, "End of %s after %lld tokens; pick another source or enable loop",
                          s.source->info().name.c_str(), static_cast<long long>(step));
            sh.snap.message = buf;
        }
    }
    sh.cv.notify_all();
}

// The extractor computes the token layout the model was trained on ("video-motion-v2", ...,
// "pose-kp-v2"), when the model names one of the built-in layouts of one of the extractor's
// families and the extractor offers a choice.
template <typename Params>
void set_descriptor(Params& p, const std::string& model_features, std::initializer_list<const char*> families) {
    if constexpr (requires { p.descriptor; }) {
        for (const char* family : families)
            if (p.backbone_manifest.empty() && model_features.rfind(family, 0) == 0) p.descriptor = model_features;
    }
}

// A model and the extractor that computes its tokens, ready to run.
struct Prepared {
    fs::path path;
    std::shared_ptr<const Model> model;
    std::unique_ptr<VideoFeatures> video;
    std::unique_ptr<AudioFeatures> audio;
    std::string feature_id;
};

// Loads the model and builds its extractor; throws (one line) when either cannot be used.
Prepared prepare_model(const fs::path& model_path, Modality modality, const PipelineConfig& c) {
    Prepared pr;
    pr.path = model_path;
    pr.model = Model::load(model_path);
    const ModelConfig& mc = pr.model->config();
    if (!mc.modality.empty() && mc.modality != to_string(modality))
        throw ModelError("model " + model_path.filename().string() + " is a " + mc.modality +
                         " model but the source gives " + to_string(modality));
    if (mc.num_classes() == 0)
        throw ModelError("model " + model_path.filename().string() + " has no classes (no classifier head)");
    int dim = 0;
    // A model may name an ONNX feature network (manifest path, relative to the model file).
    std::string backbone;
    if (auto b = mc.metadata.find("backbone"); b != mc.metadata.end() && !b->second.empty()) {
        fs::path bp(b->second);
        if (bp.is_relative()) bp = model_path.parent_path() / bp;
        backbone = bp.string();
    }
    if (modality == Modality::Video) {
        VideoFeatureParams vp;
        if (mc.token_rate_hz > 0.0) vp.token_rate_hz = mc.token_rate_hz;
        vp.backbone_manifest = backbone;
        set_descriptor(vp, mc.features, {"video-motion-", "pose-kp-"});
        if (vp.descriptor.rfind("pose-kp-", 0) == 0) {
            if (!c.pose_network.empty()) {
                vp.pose_model = c.pose_network.string();
            } else if (auto net = find_model_file(kPoseNetworkFile)) {
                vp.pose_model = net->string();
            } else {
                throw FeatureError(std::string("body keypoint network models/") + kPoseNetworkFile +
                                   " not found (run scripts/setup-pose-models.sh)");
            }
        }
        pr.video = std::make_unique<VideoFeatures>(vp);
        dim = pr.video->dim();
        pr.feature_id = pr.video->feature_id();
    } else {
        AudioFeatureParams ap;
        if (mc.token_rate_hz > 0.0) ap.token_hop_s = 1.0 / mc.token_rate_hz;
        ap.backbone_manifest = backbone;
        set_descriptor(ap, mc.features, {"audio-logmel-"});
        pr.audio = std::make_unique<AudioFeatures>(ap);
        dim = pr.audio->dim();
        pr.feature_id = pr.audio->feature_id();
    }
    if (dim != mc.d_in)
        throw ModelError("model " + model_path.filename().string() + " expects tokens of width " +
                         std::to_string(mc.d_in) + " but the " + to_string(modality) + " features (" +
                         pr.feature_id + ") give " + std::to_string(dim));
    return pr;
}

void teardown(Pipeline::Shared& sh, const std::shared_ptr<Pipeline::Session>& s) {
    if (!s) return;
    s->stop = true;
    if (s->source) s->source->interrupt();
    if (s->items) s->items->close();
    if (s->tokens) s->tokens->close();
    if (s->source_thread.joinable()) s->source_thread.join();
    if (s->features_thread.joinable()) s->features_thread.join();
    if (s->engine_thread.joinable()) s->engine_thread.join();
    if (s->source) s->source->close();
    (void)sh;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
Pipeline::Pipeline() : m_shared(std::make_shared<Shared>()) {
    m_control = std::thread([this] { control_loop(); });
}

Pipeline::~Pipeline() {
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->quit = true;
        m_shared->pending.reset();
        ++m_shared->requested;
        if (m_shared->current && m_shared->current->source) m_shared->current->source->interrupt();
    }
    m_shared->cv.notify_all();
    if (m_control.joinable()) m_control.join();
}

void Pipeline::start(PipelineConfig cfg) {
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->pending = std::move(cfg);
        ++m_shared->requested;
        if (m_shared->current) {
            m_shared->current->stop = true;
            if (m_shared->current->source) m_shared->current->source->interrupt();
        }
    }
    m_shared->cv.notify_all();
}

void Pipeline::stop() {
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->pending.reset();
        ++m_shared->requested;
        if (m_shared->current) {
            m_shared->current->stop = true;
            if (m_shared->current->source) m_shared->current->source->interrupt();
        }
    }
    m_shared->cv.notify_all();
}

bool Pipeline::set_mode(RunMode mode) {
    std::lock_guard lock(m_shared->mutex);
    if (m_shared->pending) m_shared->pending->mode = mode;   // a start still in flight
    const auto& cur = m_shared->current;
    const PipelineState st = m_shared->snap.state;
    // (snap.state is Paused only in snapshot(); a paused session is Running here.)
    if (m_shared->pending || !cur || cur->stop || (st != PipelineState::Starting && st != PipelineState::Running))
        return m_shared->pending.has_value();
    cur->mode_request = static_cast<int>(mode);
    return true;
}

void Pipeline::set_paused(bool paused) { m_shared->paused = paused; }
bool Pipeline::paused() const { return m_shared->paused; }

Snapshot Pipeline::snapshot() const {
    Shared& sh = *m_shared;
    std::lock_guard lock(sh.mutex);
    Snapshot s = sh.snap;
    if (s.state == PipelineState::Running && sh.paused) s.state = PipelineState::Paused;
    for (int m = 0; m < 2; ++m) {
        if (!s.modes[m].active || sh.latency[m].size() == 0) continue;
        s.modes[m].p50_ms = sh.latency[m].percentile(0.5);
        s.modes[m].p95_ms = sh.latency[m].percentile(0.95);
        s.modes[m].mean_ms = sh.latency[m].mean();
        s.modes[m].latency_history = sh.latency[m].newest(120);
    }
    if (sh.e2e.size() > 0) {
        s.e2e_p50_ms = sh.e2e.percentile(0.5);
        s.e2e_p95_ms = sh.e2e.percentile(0.95);
    }
    s.tokens_per_s = sh.rate.rate(Clock::now());
    if (sh.current && sh.current->id == s.session) {
        if (sh.current->items) s.dropped_items = sh.current->items->dropped();
        if (sh.current->tokens) s.dropped_tokens = sh.current->tokens->dropped();
        if (sh.current->source) s.dropped_in_source = sh.current->source->dropped();
    }
    return s;
}

std::vector<StepRecord> Pipeline::records_after(std::uint64_t after, std::size_t max) const {
    std::lock_guard lock(m_shared->mutex);
    std::vector<StepRecord> out;
    const auto& r = m_shared->records;
    auto it = std::upper_bound(r.begin(), r.end(), after, [](std::uint64_t a, const StepRecord& x) { return a < x.seq; });
    for (; it != r.end() && out.size() < max; ++it) out.push_back(*it);
    return out;
}

PipelineState Pipeline::wait_finished(std::chrono::milliseconds timeout) const {
    std::unique_lock lock(m_shared->mutex);
    auto done = [&] {
        return m_shared->applied == m_shared->requested && m_shared->snap.state != PipelineState::Starting &&
               m_shared->snap.state != PipelineState::Running && m_shared->live_threads == 0;
    };
    m_shared->cv.wait_for(lock, timeout, done);
    return m_shared->snap.state;
}

bool Pipeline::wait_steps(std::int64_t steps, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(m_shared->mutex);
    auto done = [&] {
        const bool settled = m_shared->applied == m_shared->requested;
        return (settled && m_shared->snap.tokens >= steps) ||
               (settled && m_shared->snap.state != PipelineState::Starting &&
                m_shared->snap.state != PipelineState::Running);
    };
    m_shared->cv.wait_for(lock, timeout, done);
    return m_shared->snap.tokens >= steps;
}

int Pipeline::live_threads() const { return m_shared->live_threads.load(); }

void Pipeline::start_session(PipelineConfig cfg) {
    Shared& sh = *m_shared;
    auto s = std::make_shared<Session>();
    {
        std::lock_guard lock(sh.mutex);
        s->id = ++sh.session_counter;
        Snapshot fresh;
        fresh.session = s->id;
        fresh.state = PipelineState::Starting;
        fresh.source_spec = cfg.source;
        fresh.mode = cfg.mode;
        fresh.message = "Opening " + cfg.source + " ...";
        fresh.last_seq = sh.snap.last_seq;
        sh.snap = std::move(fresh);
        for (auto& w : sh.latency) w.clear();
        sh.e2e.clear();
        sh.rate.clear();
        sh.record_capacity = std::max<std::size_t>(16, cfg.record_capacity);
    }
    sh.cv.notify_all();
    s->cfg = std::move(cfg);
    const PipelineConfig& c = s->cfg;
    const bool lossless_files = !c.realtime;
    try {
        if (c.make_source) {
            s->source = c.make_source();
            if (!s->source) throw SourceError("no source");
        } else {
            const SourceSpec spec = parse_source_spec(c.source);
            SourceOptions opts;
            opts.loop = c.loop;
            opts.realtime = c.realtime;
            opts.resources_dir = c.resources_dir;
            s->source = make_source(spec, opts);
        }
        s->source->open();
        const Modality modality = s->source->modality();
        // Auto on video: the pose model when it and the keypoint network load, else the motion model.
        Prepared pr;
        std::string note;
        if (c.model_path.empty() && auto_tries_pose_model(s->source->info(), modality)) {
            if (auto pose_model = find_model_file(kPoseModelFile)) {
                try {
                    pr = prepare_model(*pose_model, modality, c);
                } catch (const std::exception& e) {
                    note = e.what();
                }
            } else {
                note = std::string("models/") + kPoseModelFile + " not found";
            }
            if (!note.empty()) note = "pose model not used: " + note + "; using the motion model";
        }
        if (!pr.model) pr = prepare_model(resolve_model_path(c.model_path, modality), modality, c);
        const fs::path model_path = pr.path;
        s->model = std::move(pr.model);
        s->video = std::move(pr.video);
        s->audio = std::move(pr.audio);
        const std::string feature_id = pr.feature_id;
        const ModelConfig& mc = s->model->config();
        for (int slot = 0; slot < 2; ++slot) {
            if (!runs_slot(c.mode, slot)) continue;
            s->streams.push_back(new_stream(*s, slot));
            s->stream_slot.push_back(slot);
        }
        s->history_cap = static_cast<std::size_t>(std::max(0, mc.window - 1));
        s->history.assign(s->history_cap * static_cast<std::size_t>(mc.d_in), 0.0f);
        const OverflowPolicy pol = lossless_files && !s->source->is_live() ? OverflowPolicy::Block : OverflowPolicy::DropOldest;
        // Audio arrives in ~20 ms chunks: a few hundred ms of slack before the oldest is dropped.
        std::size_t item_cap = modality == Modality::Audio ? std::max<std::size_t>(c.item_queue, 32) : c.item_queue;
        // The keypoint network takes ~20 ms a frame: when it falls behind a live source, a frame that
        // waited behind several others is stale. At most one frame waits (the newest); the rest are
        // dropped and counted, so the latency stays about one network run plus one frame.
        if (s->video && s->video->uses_pose() && pol == OverflowPolicy::DropOldest) item_cap = std::min<std::size_t>(item_cap, 1);
        s->items = std::make_unique<BoundedQueue<MediaItem>>(std::max<std::size_t>(1, item_cap), pol);
        s->tokens = std::make_unique<BoundedQueue<TokenMsg>>(std::max<std::size_t>(1, c.token_queue), pol);

        std::lock_guard lock(sh.mutex);
        Snapshot& snap = sh.snap;
        snap.source = s->source->info();
        snap.modality = modality;
        snap.model_name = mc.name.empty() ? model_path.stem().string() : mc.name;
        snap.model_path = model_path.string();
        snap.feature_id = feature_id;
        snap.model_note = note;
        snap.pose_enabled = s->video && s->video->uses_pose();
        snap.hands_enabled = s->video && s->video->uses_hands();
        snap.classes = mc.classes;
        snap.window = mc.window;
        snap.warm_n = mc.window;
        snap.token_rate_hz = mc.token_rate_hz;
        snap.modes[0].active = runs_slot(c.mode, 0);
        snap.modes[1].active = runs_slot(c.mode, 1);
        snap.modes[0].macs_per_step = macs_per_step(mc, Mode::Regular).total();
        snap.modes[1].macs_per_step = macs_per_step(mc, Mode::Continual).total();
        snap.state = PipelineState::Running;
        snap.message = "Playing " + snap.source.name + (snap.source.detail.empty() ? "" : " (" + snap.source.detail + ")") +
                       " with model " + snap.model_name + (note.empty() ? "" : " (" + note + ")");
    } catch (const std::exception& e) {
        if (s->source) s->source->close();
        std::lock_guard lock(sh.mutex);
        sh.snap.state = PipelineState::Error;
        sh.snap.message = e.what();
        return;
    }
    {
        std::lock_guard lock(sh.mutex);
        sh.current = s;
    }
    Session& ref = *s;
    ref.source_thread = std::thread([&sh, &ref] { source_loop(sh, ref); });
    ref.features_thread = std::thread([&sh, &ref] { features_loop(sh, ref); });
    ref.engine_thread = std::thread([&sh, &ref] { engine_loop(sh, ref); });
}

void Pipeline::control_loop() {
    Shared& sh = *m_shared;
    for (;;) {
        std::optional<PipelineConfig> cfg;
        std::uint64_t req = 0;
        bool quit = false;
        std::shared_ptr<Session> old;
        {
            std::unique_lock lock(sh.mutex);
            sh.cv.wait(lock, [&] { return sh.quit || sh.requested != sh.applied; });
            cfg = std::move(sh.pending);
            sh.pending.reset();
            req = sh.requested;
            quit = sh.quit;
            old = sh.current;
        }
        teardown(sh, old);
        {
            std::lock_guard lock(sh.mutex);
            if (old && sh.current == old) {
                if (sh.snap.session == old->id) {   // keep the final counts visible
                    if (old->items) sh.snap.dropped_items = old->items->dropped();
                    if (old->tokens) sh.snap.dropped_tokens = old->tokens->dropped();
                    if (old->source) sh.snap.dropped_in_source = old->source->dropped();
                }
                sh.current.reset();
                if (sh.snap.session == old->id &&
                    (sh.snap.state == PipelineState::Running || sh.snap.state == PipelineState::Starting)) {
                    sh.snap.state = PipelineState::Idle;
                    sh.snap.message = "Stopped";
                }
            }
        }
        old.reset();
        if (cfg && !quit) start_session(std::move(*cfg));
        {
            std::lock_guard lock(sh.mutex);
            sh.applied = std::max(sh.applied, req);
        }
        sh.cv.notify_all();
        if (quit) break;
    }
}

}  // namespace colive
