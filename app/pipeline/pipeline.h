// SPDX-License-Identifier: MIT
// The pipeline owns the threads of one running source:
//
//   source thread --(items, bounded)--> features worker --(tokens, bounded)--> engine worker
//   (camera/mic/file)                   (frame/samples -> token)               (Stream per mode)
//                                                                                  |
//   UI / CLI  <-- snapshot() (latest state, copied)  <-- records_after() (every step, bounded)
//
// A control thread applies start()/stop() requests in order, so callers (the UI thread) never
// block: opening a device, loading a model and joining the old session's threads happen there.
// Every hand-over is bounded and drops the oldest item when full (live sources), counting drops.
// Files read faster than real time (realtime=false) use back-pressure instead, so nothing is lost.
#pragma once

#include "sources/source.h"

#include "colive/engine.h"
#include "colive/hand.h"
#include "colive/pose.h"

#include <opencv2/core/mat.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace colive {

enum class RunMode { Regular, Continual, Both };
const char* to_string(RunMode m);
RunMode parse_run_mode(const std::string& s);     // "regular" | "continual" | "both"; throws Error
// Whether `mode` runs the stream of slot 0 (regular) or slot 1 (continual).
inline bool runs_slot(RunMode mode, int slot) { return mode != (slot == 0 ? RunMode::Continual : RunMode::Regular); }

enum class PipelineState { Idle, Starting, Running, Paused, Ended, Error };
const char* to_string(PipelineState s);

struct StepRecord;

struct PipelineConfig {
    std::string source = "demo-video";            // see parse_source_spec()
    RunMode mode = RunMode::Both;
    // Empty ("Auto"): audio -> genre; video -> the pose model (action-pose) when it and the body
    // keypoint network load, else the motion model (action) with one status line saying why; the
    // motion model's own demo clip (demo-video, rendered hands the keypoint network cannot see)
    // always gets the motion model.
    std::string model_path;
    std::filesystem::path pose_network;           // empty: <model dir>/pose/movenet-lightning.onnx
    bool loop = false;                            // files and demo clips
    bool realtime = true;                         // files paced to the media clock
    std::filesystem::path resources_dir;          // optional preferred demo directory
    std::size_t item_queue = 4;                   // source -> features (frames / audio chunks)
    std::size_t token_queue = 8;                  // features -> engine
    std::size_t record_capacity = 8192;           // step records kept for records_after()
    // Optional: called on the engine thread for every step, before it is published (lossless,
    // e.g. for an export writer). Must not block for long.
    std::function<void(const StepRecord&)> on_record;
    // Optional: builds the source instead of parse_source_spec()/make_source() (tests inject
    // sources that fail in chosen ways; embedders can plug their own capture).
    std::function<std::unique_ptr<Source>()> make_source;
};

// Output of one mode for one step.
struct ModeOutput {
    bool present = false;
    std::vector<float> probs;
    bool warmup = true;
    bool finite = true;
    double latency_ms = 0.0;                      // Stream::step() wall time
    std::int64_t macs = 0;
};

struct StepRecord {
    std::uint64_t seq = 0;                        // increasing across sessions
    std::uint64_t session = 0;
    std::int64_t step = 0;                        // 0-based token index in the session
    double time_s = 0.0;                          // media time of the token
    double e2e_ms = 0.0;                          // source delivery -> all modes stepped
    ModeOutput out[2];                            // [0] regular, [1] continual
    double abs_diff = -1.0;                       // max |regular - continual| (both modes, else -1)
};

struct ModeMetrics {
    bool active = false;
    std::int64_t macs_per_step = 0;               // analytic (known even when the mode is not run)
    double p50_ms = 0.0, p95_ms = 0.0, mean_ms = 0.0;  // over the last 200 steps (active only)
    std::vector<float> latency_history;           // newest last, up to 120 values (ms)
};

struct Snapshot {
    std::uint64_t session = 0;
    PipelineState state = PipelineState::Idle;
    std::string message;                          // status line (error text on Error)
    std::string source_spec;
    SourceInfo source;
    Modality modality = Modality::Video;
    RunMode mode = RunMode::Both;
    std::string model_name, model_path, feature_id;
    std::string model_note;                       // why Auto did not pick the pose model (else empty)
    std::vector<std::string> classes;
    int window = 0;
    double token_rate_hz = 0.0;
    ModeMetrics modes[2];
    std::int64_t tokens = 0;
    double tokens_per_s = 0.0;
    double media_time_s = 0.0;
    std::uint64_t dropped_items = 0;              // source -> features hand-over
    std::uint64_t dropped_tokens = 0;             // features -> engine hand-over
    std::uint64_t dropped_in_source = 0;          // e.g. microphone ring overflow (samples)
    double max_abs_diff = -1.0;                   // session max after warm-up (both mode)
    double last_abs_diff = -1.0;
    double e2e_p50_ms = 0.0, e2e_p95_ms = 0.0;
    std::int64_t warm_k = 0, warm_n = 0;          // tokens in the window / window size
    cv::Mat preview;                              // latest video frame, downscaled (BGR or grey)
    bool pose_enabled = false;                    // the features run the body keypoint network
    PoseFrame pose;                               // its latest keypoints, in pixels of pose.width x pose.height
    bool hands_enabled = false;                   // ... and the hand landmark network (pose-kp-v3/-v4 models)
    // The hands the model was given last (VideoFeatures::latest_hands: once per token period), in the
    // same pixels as `pose`; both present = false when none was found, nobody is in view, or the latest
    // hands are not from the last two token periods before the shown frame (e.g. after a loop).
    HandFrames hands{};
    double hands_time_s = -1.0;                   // media time of the frame they were found on (-1: none)
    bool nobody_in_view = false;                  // pose_enabled, a frame was analysed, nobody in it
    std::uint64_t pose_frames = 0;                // frames the keypoint network analysed this session
    std::uint64_t pose_nobody_frames = 0;         // ... of which with nobody in view
    float audio_rms_db = -120.0f, audio_peak_db = -120.0f;
    std::vector<float> logmel;                    // rows x cols, newest row last
    int logmel_rows = 0, logmel_cols = 0;
    double logmel_time_s = -1.0;                  // media time when `logmel` was taken
    std::uint64_t last_seq = 0;
};

class Pipeline {
public:
    Pipeline();
    ~Pipeline();                                  // stops and joins everything
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    void start(PipelineConfig cfg);               // non-blocking; replaces the running session
    void stop();                                  // non-blocking
    // Switches the running (or starting) session to `mode` before its next token, without restarting
    // the source: a mode that joins is primed with the last window-1 tokens, so its outputs are
    // the ones it would have given from the start. Returns false when no session is running or
    // starting (call start() with the mode then).
    bool set_mode(RunMode mode);
    void set_paused(bool paused);
    bool paused() const;

    Snapshot snapshot() const;
    // Step records with seq > after (oldest first, at most max).
    std::vector<StepRecord> records_after(std::uint64_t after, std::size_t max = SIZE_MAX) const;
    // Blocks until every request so far has been applied, the session is not Starting/Running and
    // all its threads have ended (or timeout). Returns the state then.
    PipelineState wait_finished(std::chrono::milliseconds timeout) const;
    // Blocks until the session has produced `steps` records or finished (or timeout).
    bool wait_steps(std::int64_t steps, std::chrono::milliseconds timeout) const;
    // Threads currently alive inside this pipeline (control thread excluded), for leak tests.
    int live_threads() const;

    struct Session;                               // one running source (internal)
    struct Shared;                                // state shared with the session threads (internal)

private:
    void control_loop();
    void start_session(PipelineConfig cfg);

    std::shared_ptr<Shared> m_shared;
    std::thread m_control;
};

// Where a model comes from: --model, else the bundled one for the modality (action / genre).
std::filesystem::path resolve_model_path(const std::string& model_path, Modality modality);
// Whether Auto (empty model_path) tries the pose model for this source: video, except the motion
// model's demo clip.
bool auto_tries_pose_model(const SourceInfo& source, Modality modality);

}  // namespace colive
