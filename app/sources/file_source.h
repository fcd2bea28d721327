// SPDX-License-Identifier: MIT
// Video files (OpenCV) and audio files (libsndfile via audio_file_reader), optionally paced in real
// time and looped.
#pragma once

#include "pacer.h"
#include "source.h"

#include <opencv2/videoio.hpp>

#include <filesystem>
#include <memory>

namespace colive {

class VideoFileSource : public Source {
public:
    VideoFileSource(std::filesystem::path path, bool loop, bool realtime, std::string kind = "file");
    ~VideoFileSource() override;
    Modality modality() const override { return Modality::Video; }
    void open() override;
    ReadStatus read(MediaItem& out) override;
    void close() override;
    void interrupt() override { m_pacer.interrupt(); }
    void resync() override { m_pacer.restart_at(static_cast<double>(m_index) / m_fps); }
    SourceInfo info() const override { return m_info; }
    double fps() const { return m_fps; }

private:
    std::filesystem::path m_path;
    bool m_loop;
    bool m_realtime;
    SourceInfo m_info;
    cv::VideoCapture m_cap;
    Pacer m_pacer;
    double m_fps = 25.0;
    std::int64_t m_index = 0;          // frames delivered since open (across loops)
    std::int64_t m_in_pass = 0;        // frames decoded in the current pass
    cv::Mat m_pending;                 // decoded frame waiting for its due time
};

struct AudioFileData;

class AudioFileSource : public Source {
public:
    AudioFileSource(std::filesystem::path path, bool loop, bool realtime, std::string kind = "file");
    ~AudioFileSource() override;
    Modality modality() const override { return Modality::Audio; }
    void open() override;
    ReadStatus read(MediaItem& out) override;
    void close() override;
    void interrupt() override { m_pacer.interrupt(); }
    void resync() override;
    SourceInfo info() const override { return m_info; }

    static constexpr int kChunkFrames = 1024;

private:
    std::filesystem::path m_path;
    bool m_loop;
    bool m_realtime;
    SourceInfo m_info;
    std::unique_ptr<AudioFileData> m_data;
    Pacer m_pacer;
    std::int64_t m_pos = 0;            // frame position in the file
    std::int64_t m_delivered = 0;      // frames delivered since open (across loops)
};

}  // namespace colive
