// SPDX-License-Identifier: MIT
// Microphone input through PortAudio at the device's native rate (the feature extractor
// resamples). The PortAudio callback only copies samples into a lock-free SPSC ring; read() on the
// source thread takes them out.
#pragma once

#include "source.h"
#include "spsc_ring.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace colive {

struct AudioDeviceInfo {
    int index = -1;                 // PortAudio device index (valid until the next refresh)
    std::string name;
    std::string host_api;           // "ALSA", "JACK Audio Connection Kit", ...
    int max_input_channels = 0;
    double default_rate_hz = 0.0;
    bool is_default = false;
};

// Input-capable devices (initialises and terminates PortAudio; takes ~1-2 s with ALSA).
// Throws SourceError if PortAudio cannot be initialised.
std::vector<AudioDeviceInfo> list_audio_inputs();

class MicSource : public Source {
public:
    explicit MicSource(std::string name);       // "" = the default input device
    ~MicSource() override;
    Modality modality() const override { return Modality::Audio; }
    void open() override;
    ReadStatus read(MediaItem& out) override;
    void close() override;
    void interrupt() override { m_interrupted = true; }
    SourceInfo info() const override { return m_info; }
    bool is_live() const override { return true; }
    std::uint64_t dropped() const override { return m_ring ? m_ring->dropped() : 0; }

    // Called by the PortAudio callback (public for the C trampoline only).
    void on_audio(const float* in, unsigned long frames, bool overflow) noexcept;

private:
    std::string m_name;
    SourceInfo m_info;
    void* m_stream = nullptr;                   // PaStream*
    bool m_pa_initialised = false;
    std::unique_ptr<SpscRing<float>> m_ring;
    int m_channels = 1;
    int m_rate = 0;
    std::int64_t m_delivered = 0;               // frames handed out
    std::atomic<bool> m_interrupted{false};
    std::atomic<std::uint64_t> m_overflows{0};
};

}  // namespace colive
