// SPDX-License-Identifier: MIT
#include "source.h"

#include "camera_source.h"
#include "file_source.h"
#include "mic_source.h"
#include "resource_paths.h"

#include <opencv2/core/utils/logger.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <system_error>

namespace fs = std::filesystem;

namespace colive {

const char* to_string(Modality m) { return m == Modality::Video ? "video" : "audio"; }

std::string SourceSpec::text() const {
    switch (kind) {
        case Kind::Camera: return arg.empty() ? "camera" : "camera:" + arg;
        case Kind::Mic: return arg.empty() ? "mic" : "mic:" + arg;
        case Kind::File: return "file:" + arg;
        case Kind::DemoVideo: return "demo-video";
        case Kind::DemoAudio: return "demo-audio";
        case Kind::DemoPose: return "demo-pose";
    }
    return {};
}

SourceSpec parse_source_spec(const std::string& text_in) {
    std::string text = text_in;
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.erase(text.begin());
    if (text.empty()) throw SourceError("empty --source; expected camera[:name|index], mic[:name], file:PATH, demo-video, demo-pose or demo-audio");

    SourceSpec s;
    auto starts = [&](const char* p) { return text.rfind(p, 0) == 0; };
    if (text == "demo-video" || text == "demo") { s.kind = SourceSpec::Kind::DemoVideo; return s; }
    if (text == "demo-audio") { s.kind = SourceSpec::Kind::DemoAudio; return s; }
    if (text == "demo-pose") { s.kind = SourceSpec::Kind::DemoPose; return s; }
    if (text == "camera" || text == "cam") { s.kind = SourceSpec::Kind::Camera; return s; }
    if (text == "mic" || text == "microphone") { s.kind = SourceSpec::Kind::Mic; return s; }
    if (starts("camera:")) { s.kind = SourceSpec::Kind::Camera; s.arg = text.substr(7); return s; }
    if (starts("mic:")) { s.kind = SourceSpec::Kind::Mic; s.arg = text.substr(4); return s; }
    if (starts("file:")) {
        s.kind = SourceSpec::Kind::File;
        s.arg = text.substr(5);
        if (s.arg.empty()) throw SourceError("--source file: needs a path, e.g. file:clip.mp4");
        return s;
    }
    std::error_code ec;
    if (fs::exists(text, ec)) { s.kind = SourceSpec::Kind::File; s.arg = text; return s; }
    throw SourceError("unknown source '" + text +
                      "'; expected camera[:name|index], mic[:name], file:PATH, demo-video, demo-pose or demo-audio");
}

Modality guess_file_modality(const fs::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static const char* audio_ext[] = {".wav", ".flac", ".ogg", ".oga", ".mp3", ".aiff", ".aif", ".au", ".opus", ".m4a", ".w64", ".caf"};
    for (const char* a : audio_ext)
        if (ext == a) return Modality::Audio;
    return Modality::Video;
}

std::unique_ptr<Source> make_source(const SourceSpec& spec, const SourceOptions& options) {
    // OpenCV's backends log pages of warnings for a missing camera or a corrupt file; our own
    // one-line SourceError says it better. OPENCV_LOG_LEVEL still wins when set.
    static const bool quiet = [] {
        if (!std::getenv("OPENCV_LOG_LEVEL")) cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
        return true;
    }();
    (void)quiet;
    switch (spec.kind) {
        case SourceSpec::Kind::Camera: return std::make_unique<CameraSource>(spec.arg);
        case SourceSpec::Kind::Mic: return std::make_unique<MicSource>(spec.arg);
        case SourceSpec::Kind::File: {
            std::error_code ec;
            const fs::path p(spec.arg);
            if (!fs::exists(p, ec)) throw SourceError("file not found: " + spec.arg);
            if (fs::is_directory(p, ec)) throw SourceError("not a file: " + spec.arg);
            if (guess_file_modality(p) == Modality::Audio)
                return std::make_unique<AudioFileSource>(p, options.loop, options.realtime, "file");
            return std::make_unique<VideoFileSource>(p, options.loop, options.realtime, "file");
        }
        case SourceSpec::Kind::DemoVideo:
        case SourceSpec::Kind::DemoAudio: {
            const Modality m = spec.kind == SourceSpec::Kind::DemoVideo ? Modality::Video : Modality::Audio;
            auto clip = find_demo_clip(m, options.resources_dir);
            if (!clip)
                throw SourceError(std::string("no bundled demo ") + to_string(m) +
                                  " clip found (looked in share/colive/demo and resources/demo)");
            // The GUI asks demo clips to loop (they are the "always shows something" source).
            if (m == Modality::Audio)
                return std::make_unique<AudioFileSource>(*clip, options.loop, options.realtime, spec.text());
            return std::make_unique<VideoFileSource>(*clip, options.loop, options.realtime, spec.text());
        }
        case SourceSpec::Kind::DemoPose: {
            auto clip = find_demo_clip_named("demo-pose", options.resources_dir);
            if (!clip) throw SourceError("no bundled demo-pose clip found (looked in share/colive/demo and resources/demo)");
            return std::make_unique<VideoFileSource>(*clip, options.loop, options.realtime, spec.text());
        }
    }
    throw SourceError("unknown source kind");
}

}  // namespace colive
