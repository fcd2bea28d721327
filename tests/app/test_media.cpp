// SPDX-License-Identifier: MIT
#include "test_media.h"
#include "test_models.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <random>
#include <stdexcept>
#include <unistd.h>

namespace fs = std::filesystem;

namespace colive::test {

TempDir::TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() / ("colive-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path);
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
}

void write_test_video(const fs::path& path, int frames, double fps, int w, int h) {
    cv::VideoWriter vw(path.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps, cv::Size(w, h));
    if (!vw.isOpened()) throw std::runtime_error("cannot write test video " + path.string());
    for (int i = 0; i < frames; ++i) {
        cv::Mat f(h, w, CV_8UC3, cv::Scalar(30, 30, 30));
        const int x = (i * 3) % std::max(1, w - 20);
        cv::rectangle(f, cv::Rect(x, h / 3, 20, h / 3), cv::Scalar(0, 220, 255), cv::FILLED);
        vw.write(f);
    }
}

namespace {
void put16(std::ofstream& o, std::uint16_t v) { o.put(static_cast<char>(v & 0xff)); o.put(static_cast<char>(v >> 8)); }
void put32(std::ofstream& o, std::uint32_t v) { for (int i = 0; i < 4; ++i) o.put(static_cast<char>((v >> (8 * i)) & 0xff)); }
}  // namespace

std::vector<float> write_test_wav(const fs::path& path, int rate, int channels, double seconds, double freq_hz,
                                  double amplitude) {
    const auto frames = static_cast<std::uint32_t>(std::lround(seconds * rate));
    std::vector<float> out;
    out.reserve(static_cast<std::size_t>(frames) * static_cast<std::size_t>(channels));
    std::ofstream o(path, std::ios::binary);
    const std::uint32_t data_bytes = frames * static_cast<std::uint32_t>(channels) * 2;
    o.write("RIFF", 4);
    put32(o, 36 + data_bytes);
    o.write("WAVEfmt ", 8);
    put32(o, 16);
    put16(o, 1);
    put16(o, static_cast<std::uint16_t>(channels));
    put32(o, static_cast<std::uint32_t>(rate));
    put32(o, static_cast<std::uint32_t>(rate * channels * 2));
    put16(o, static_cast<std::uint16_t>(channels * 2));
    put16(o, 16);
    o.write("data", 4);
    put32(o, data_bytes);
    for (std::uint32_t i = 0; i < frames; ++i) {
        const double v = amplitude * std::sin(2.0 * M_PI * freq_hz * i / rate);
        const auto q = static_cast<std::int16_t>(std::lround(v * 32767.0));
        for (int c = 0; c < channels; ++c) {
            put16(o, static_cast<std::uint16_t>(q));
            out.push_back(static_cast<float>(q) / 32768.0f);
        }
    }
    return out;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
    std::ofstream o(path, std::ios::binary);
    o << bytes;
}

fs::path tiny_video_model() { return write_tiny_models() / "tiny_video.safetensors"; }
fs::path tiny_audio_model() { return write_tiny_models() / "tiny_audio.safetensors"; }
fs::path tiny_badwidth_model() { return write_tiny_models() / "tiny_video_badwidth.safetensors"; }
fs::path tiny_pose_model() { return write_tiny_models() / "tiny_pose.safetensors"; }
fs::path tiny_pose_v2_model() { return write_tiny_models() / "tiny_pose_v2.safetensors"; }
fs::path tiny_pose_v3_model() { return write_tiny_models() / "tiny_pose_v3.safetensors"; }
fs::path tiny_pose_v4_model() { return write_tiny_models() / "tiny_pose_v4.safetensors"; }

}  // namespace colive::test
