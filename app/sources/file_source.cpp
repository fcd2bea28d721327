// SPDX-License-Identifier: MIT
#include "file_source.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio/registry.hpp>

#include "audio_file_reader.h"

#include <cmath>
#include <cstdio>

namespace colive {

namespace {
// FFmpeg first (it reads what users have); GStreamer as a fallback. Not CAP_ANY: its other
// backends (gphoto2, ...) probe USB devices for a file name, which is slow and leaks.
bool open_video_file(cv::VideoCapture& cap, const std::filesystem::path& path) {
    for (int api : {cv::CAP_FFMPEG, cv::CAP_GSTREAMER}) {
        if (!cv::videoio_registry::hasBackend(static_cast<cv::VideoCaptureAPIs>(api))) continue;
        try {
            if (cap.open(path.string(), api) && cap.isOpened()) return true;
        } catch (const cv::Exception&) {
        }
        cap.release();
    }
    return false;
}
}  // namespace

// ------------------------------------------------------------------------------------------------
VideoFileSource::VideoFileSource(std::filesystem::path path, bool loop, bool realtime, std::string kind)
    : m_path(std::move(path)), m_loop(loop), m_realtime(realtime) {
    m_info.kind = std::move(kind);
    m_info.name = m_path.filename().string();
}

VideoFileSource::~VideoFileSource() { close(); }

void VideoFileSource::open() {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(m_path, ec)) throw SourceError("file not found: " + m_path.string());
    if (!open_video_file(m_cap, m_path))
        throw SourceError("cannot open video file " + m_path.string() + " (unsupported or corrupt)");
    cv::Mat first;
    if (!m_cap.read(first) || first.empty()) {
        m_cap.release();
        throw SourceError("no decodable video frames in " + m_path.string());
    }
    m_pending = first;
    m_in_pass = 1;
    m_fps = m_cap.get(cv::CAP_PROP_FPS);
    if (!(m_fps > 0.5 && m_fps < 1000.0)) m_fps = 25.0;
    char buf[96];
    std::snprintf(buf, sizeof buf, "%dx%d @ %.3g fps%s", first.cols, first.rows, m_fps, m_loop ? ", loop" : "");
    m_info.detail = buf;
    m_index = 0;
    m_pacer.restart();
}

ReadStatus VideoFileSource::read(MediaItem& out) {
    if (!m_cap.isOpened() && m_pending.empty()) return ReadStatus::End;
    if (m_pending.empty()) {
        cv::Mat f;
        if (!m_cap.read(f) || f.empty()) {
            if (!m_loop || m_in_pass == 0) return ReadStatus::End;
            // Start again: reopen (seeking is unreliable for some containers).
            m_cap.release();
            if (!open_video_file(m_cap, m_path) || !m_cap.read(f) || f.empty())
                throw SourceError("cannot re-read video file " + m_path.string() + " for looping");
            m_in_pass = 0;
        }
        ++m_in_pass;
        m_pending = f;
    }
    const double t = static_cast<double>(m_index) / m_fps;
    if (m_realtime && !m_pacer.wait_until_due(t)) return ReadStatus::Timeout;
    out.set_video(std::move(m_pending), t);   // decoder gave us a fresh Mat; ownership moves on
    m_pending = cv::Mat();
    ++m_index;
    return ReadStatus::Ok;
}

void VideoFileSource::close() {
    if (m_cap.isOpened()) m_cap.release();
    m_pending = cv::Mat();
}

// ------------------------------------------------------------------------------------------------
struct AudioFileData {
    AudioFileReader reader;
};

AudioFileSource::AudioFileSource(std::filesystem::path path, bool loop, bool realtime, std::string kind)
    : m_path(std::move(path)), m_loop(loop), m_realtime(realtime) {
    m_info.kind = std::move(kind);
    m_info.name = m_path.filename().string();
}

AudioFileSource::~AudioFileSource() { close(); }

void AudioFileSource::open() {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(m_path, ec)) throw SourceError("file not found: " + m_path.string());
    try {
        auto d = std::unique_ptr<AudioFileData>(new AudioFileData{AudioFileReader(m_path)});
        const AudioFileReader& r = d->reader;
        if (r.channels() < 1 || r.rate() < 1000 || r.rate() > 768000)
            throw SourceError("unsupported audio format in " + m_path.string());
        if (r.frames() == 0) throw SourceError("audio file has no samples: " + m_path.string());
        char buf[96];
        std::snprintf(buf, sizeof buf, "%d Hz, %d ch, %.1f s%s", r.rate(), r.channels(), r.duration_s(),
                      m_loop ? ", loop" : "");
        m_info.detail = buf;
        m_data = std::move(d);
    } catch (const AudioFileError& e) {
        throw SourceError(e.what());
    }
    m_pos = 0;
    m_delivered = 0;
    m_pacer.restart();
}

ReadStatus AudioFileSource::read(MediaItem& out) {
    if (!m_data) return ReadStatus::End;
    AudioFileReader& r = m_data->reader;
    const int ch = r.channels();
    const int rate = r.rate();
    // The chunk is due when its last sample has "arrived", as from a device.
    const double t_end = static_cast<double>(m_delivered + kChunkFrames) / rate;
    if (m_realtime && !m_pacer.wait_until_due(t_end)) return ReadStatus::Timeout;
    std::size_t got = 0;
    try {
        got = r.read(out.samples, kChunkFrames);
        if (got == 0) {
            if (!m_loop || m_pos == 0) return ReadStatus::End;
            r.rewind();
            m_pos = 0;
            got = r.read(out.samples, kChunkFrames);
            if (got == 0) throw SourceError("audio file became unreadable: " + m_path.string());
        }
    } catch (const AudioFileError& e) {
        throw SourceError(e.what());
    }
    out.samples.resize(got * static_cast<std::size_t>(ch));
    for (float& v : out.samples)
        if (!std::isfinite(v)) v = 0.0f;
    out.set_audio(ch, rate, m_delivered);
    m_pos += static_cast<std::int64_t>(got);
    m_delivered += static_cast<std::int64_t>(got);
    return ReadStatus::Ok;
}

void AudioFileSource::close() { m_data.reset(); }

void AudioFileSource::resync() {
    if (m_data) m_pacer.restart_at(static_cast<double>(m_delivered) / m_data->reader.rate());
}

}  // namespace colive
