// SPDX-License-Identifier: MIT
// Media sources behind one interface: camera, microphone, video/audio file, bundled demo clips.
//
//   auto src = colive::make_source(colive::parse_source_spec("file:clip.mp4"), {.loop = true});
//   src->open();                                  // throws colive::SourceError with one readable line
//   colive::MediaItem item;
//   while (src->read(item, stop) == colive::ReadStatus::Ok) use(item);
//
// Threading contract: open(), read() and close() are called from one worker thread; interrupt()
// may be called from any thread to make a blocked read() return soon.
#pragma once

#include "colive/engine.h"

#include <opencv2/core/mat.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace colive {

struct SourceError : Error {
    using Error::Error;
};

enum class Modality { Video, Audio };
const char* to_string(Modality m);

// One unit of media handed from a source to the feature worker.
struct MediaItem {
    Modality modality = Modality::Video;
    cv::Mat frame;                       // video: BGR/grey frame (owned, not shared with the decoder)
    std::vector<float> samples;          // audio: interleaved float samples in [-1, 1]
    int channels = 0;
    int rate_hz = 0;
    double media_time_s = 0.0;           // position in the stream (seconds since the source started)
    std::chrono::steady_clock::time_point captured{};  // when the source delivered it

    // Stamps the item as a video frame (the Mat is taken over) at media time `t`, delivered now.
    void set_video(cv::Mat f, double t) {
        modality = Modality::Video;
        frame = std::move(f);
        samples.clear();
        channels = frame.channels();
        rate_hz = 0;
        media_time_s = t;
        captured = std::chrono::steady_clock::now();
    }
    // Stamps the item as an audio chunk (`samples` already filled, interleaved) that starts
    // `start_frame` frames into the stream, delivered now.
    void set_audio(int ch, int rate, std::int64_t start_frame) {
        modality = Modality::Audio;
        frame = cv::Mat();
        channels = ch;
        rate_hz = rate;
        media_time_s = rate > 0 ? static_cast<double>(start_frame) / rate : 0.0;
        captured = std::chrono::steady_clock::now();
    }
};

enum class ReadStatus { Ok, Timeout, End };

struct SourceInfo {
    std::string kind;                    // "camera", "mic", "file", "demo-video", "demo-pose", "demo-audio"
    std::string name;                    // device name or file name
    std::string detail;                  // e.g. "640x480 @ 30 fps" or "48000 Hz, 1 ch (ALSA)"
};

class Source {
public:
    virtual ~Source() = default;
    virtual Modality modality() const = 0;
    virtual void open() = 0;                                  // throws SourceError
    // Blocks until an item is ready, the stream ends, or about 100 ms pass (Timeout).
    // Throws SourceError when the device fails mid-stream.
    virtual ReadStatus read(MediaItem& out) = 0;
    virtual void close() = 0;
    virtual void interrupt() {}
    // Files: the media clock continues from the current position (after a pause). Live: no-op.
    virtual void resync() {}
    virtual bool is_live() const { return false; }
    virtual SourceInfo info() const = 0;
    // Values lost inside the source itself (e.g. microphone ring overflow, in samples).
    virtual std::uint64_t dropped() const { return 0; }
};

// "camera", "camera:0", "camera:/dev/video2", "camera:Integrated Webcam", "mic", "mic:Name",
// "file:/path/x.mp4", "demo-video", "demo-pose", "demo-audio". A bare existing path is taken as file:PATH.
// demo-video: rendered hands (the motion model's clip); demo-pose: a rendered person at a desk (the
// pose model's clip, resources/demo/demo-pose.*).
struct SourceSpec {
    enum class Kind { Camera, Mic, File, DemoVideo, DemoAudio, DemoPose };
    Kind kind = Kind::DemoVideo;
    std::string arg;                     // camera index/path/name, mic name, file path (may be empty)
    std::string text() const;            // canonical spelling, parseable again
};
SourceSpec parse_source_spec(const std::string& text);       // throws SourceError on bad syntax

struct SourceOptions {
    bool loop = false;                   // files: start again at the end
    bool realtime = true;                // files: pace to the media clock (false = as fast as read)
    std::filesystem::path resources_dir; // where demo clips are looked for first (empty = default search)
};

// Creates the source (does not open it). Throws SourceError for unknown/missing things that can be
// told without opening (e.g. a missing file).
std::unique_ptr<Source> make_source(const SourceSpec& spec, const SourceOptions& options = {});

// Guesses the modality of a file from its extension (audio: wav flac ogg mp3 aiff au opus m4a;
// everything else is tried as video).
Modality guess_file_modality(const std::filesystem::path& path);

}  // namespace colive
