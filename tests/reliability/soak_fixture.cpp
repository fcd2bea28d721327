// SPDX-License-Identifier: MIT
// colive_soak_fixture DIR [SECONDS]: writes a self-contained data directory for soak runs and the
// CTest soak (use with COLIVE_DATA_DIR=DIR): DIR/demo/video-demo.avi (moving shapes, 320x240,
// 25 fps), DIR/demo/audio-demo.wav (44.1 kHz stereo, a beat and chords) and DIR/models/
// action.safetensors / genre.safetensors (small random models whose width equals today's feature
// extractors). The soak then exercises the real pipeline without the bundled assets.
#include "rel_util.h"

#include "colive/features.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <sndfile.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

namespace fs = std::filesystem;

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: colive_soak_fixture DIR [SECONDS]\n");
        return 2;
    }
    const fs::path dir(argv[1]);
    const double seconds = argc > 2 ? std::atof(argv[2]) : 20.0;
    try {
        fs::create_directories(dir / "demo");
        fs::create_directories(dir / "models");
        const double fps = 25.0;
        const int w = 320, h = 240, frames = int(seconds * fps);
        cv::VideoWriter vw((dir / "demo" / "video-demo.avi").string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps,
                           cv::Size(w, h), true);
        if (!vw.isOpened()) throw std::runtime_error("cannot write the demo video");
        for (int i = 0; i < frames; ++i) {
            const double t = i / fps;
            cv::Mat f(h, w, CV_8UC3, cv::Scalar(40, 30, 20));
            const cv::Point c1(int(w / 2 + 100 * std::sin(1.3 * t)), int(h / 2 + 60 * std::cos(0.7 * t)));
            cv::circle(f, c1, 25, cv::Scalar(60, 200, 240), cv::FILLED);
            cv::rectangle(f, cv::Rect(int(20 + (i * 4) % (w - 60)), 30, 40, 40), cv::Scalar(220, 80, 60), cv::FILLED);
            vw.write(f);
        }
        vw.release();
        const int rate = 44100, ch = 2;
        const auto n = static_cast<std::size_t>(seconds * rate);
        std::vector<float> s(n * ch);
        for (std::size_t k = 0; k < n; ++k) {
            const double t = double(k) / rate;
            const double beat = std::fmod(t, 0.5);
            const double kick = beat < 0.08 ? std::sin(2 * M_PI * 60 * beat) * std::exp(-beat * 40) : 0.0;
            const double chord = 0.15 * (std::sin(2 * M_PI * 220 * t) + std::sin(2 * M_PI * 277.2 * t) + std::sin(2 * M_PI * 329.6 * t));
            s[k * ch] = float(0.5 * kick + chord);
            s[k * ch + 1] = float(0.5 * kick + 0.8 * chord);
        }
        SF_INFO info{};
        info.samplerate = rate;
        info.channels = ch;
        info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
        SNDFILE* f = sf_open((dir / "demo" / "audio-demo.wav").string().c_str(), SFM_WRITE, &info);
        if (!f) throw std::runtime_error("cannot write the demo audio");
        sf_writef_float(f, s.data(), sf_count_t(n));
        sf_close(f);
        colive::rel::write_model(dir / "models" / "action.safetensors", colive::VideoFeatures().dim(), "video", 10.0, 16, 6, 3);
        colive::rel::write_model(dir / "models" / "genre.safetensors", colive::AudioFeatures().dim(), "audio", 4.0, 16, 5, 4);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "colive_soak_fixture: %s\n", e.what());
        return 1;
    }
    std::printf("colive_soak_fixture: wrote %s (%.0f s clips)\n", dir.string().c_str(), seconds);
    return 0;
}
