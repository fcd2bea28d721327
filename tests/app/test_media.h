// SPDX-License-Identifier: MIT
// Test media generated at test time into a temporary directory (no bundled clips needed).
#pragma once

#include "sources/source.h"

#include <chrono>
#include <filesystem>
#include <thread>
#include <string>
#include <vector>

namespace colive::test {

// A fresh empty directory under the system temp dir, removed by the destructor.
struct TempDir {
    TempDir();
    ~TempDir();
    std::filesystem::path path;
    std::filesystem::path operator/(const std::string& name) const { return path / name; }
};

// MJPG .avi: `frames` frames of w x h at `fps`, a bright square moving right on a dark background.
void write_test_video(const std::filesystem::path& path, int frames, double fps = 25.0, int w = 160, int h = 120);
// 16-bit PCM WAV of a sine; returns the samples written (interleaved, as float in [-1, 1]).
std::vector<float> write_test_wav(const std::filesystem::path& path, int rate, int channels, double seconds,
                                  double freq_hz = 440.0, double amplitude = 0.5);
void write_bytes(const std::filesystem::path& path, const std::string& bytes);

// Tiny random models with the current feature widths (see test_models.h), written once per process.
std::filesystem::path tiny_video_model();
std::filesystem::path tiny_audio_model();
std::filesystem::path tiny_badwidth_model();   // a video model whose d_in matches no extractor
std::filesystem::path tiny_pose_model();       // a video model on pose-kp-v1 tokens (body keypoints)
std::filesystem::path tiny_pose_v2_model();    // ... on pose-kp-v2 tokens
std::filesystem::path tiny_pose_v3_model();    // ... on pose-kp-v3 tokens (runs the hand network too)
std::filesystem::path tiny_pose_v4_model();    // ... on pose-kp-v4 tokens (HandFinder: + the hand detector)

// A live "camera" that delivers some frames, then fails like an unplugged device.
class FailingCamera : public colive::Source {
public:
    explicit FailingCamera(int frames_before_error) : m_left(frames_before_error) {}
    Modality modality() const override { return Modality::Video; }
    void open() override {}
    ReadStatus read(MediaItem& out) override {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        if (m_left-- <= 0) throw SourceError("camera test-cam stopped delivering frames (unplugged?)");
        out.modality = Modality::Video;
        out.frame = cv::Mat(120, 160, CV_8UC3, cv::Scalar(m_t % 255, 40, 40));
        out.media_time_s = 0.04 * m_t++;
        out.captured = std::chrono::steady_clock::now();
        return ReadStatus::Ok;
    }
    void close() override {}
    bool is_live() const override { return true; }
    SourceInfo info() const override { return {"camera", "test-cam", "160x120"}; }

private:
    int m_left;
    int m_t = 0;
};

}  // namespace colive::test
