// SPDX-License-Identifier: MIT
#include "mic_source.h"

#include <portaudio.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace colive {
namespace {

// PortAudio's initialise/terminate and device queries are not thread-safe.
std::mutex& pa_mutex() {
    static std::mutex m;
    return m;
}

// Pa_Initialize prints pages of harmless ALSA/JACK probing messages on stderr; silence them unless
// COLIVE_PA_VERBOSE is set.
PaError quiet_initialize() {
    const bool verbose = std::getenv("COLIVE_PA_VERBOSE") != nullptr;
    int saved = -1;
    if (!verbose) {
        std::fflush(stderr);
        saved = dup(2);
        const int devnull = ::open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, 2);
            ::close(devnull);
        }
    }
    const PaError err = Pa_Initialize();
    if (saved >= 0) {
        std::fflush(stderr);
        dup2(saved, 2);
        ::close(saved);
    }
    return err;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

int pa_callback(const void* input, void*, unsigned long frames, const PaStreamCallbackTimeInfo*,
                PaStreamCallbackFlags flags, void* user) {
    static_cast<MicSource*>(user)->on_audio(static_cast<const float*>(input), frames,
                                            (flags & paInputOverflow) != 0);
    return paContinue;
}

std::vector<AudioDeviceInfo> enumerate_locked() {
    std::vector<AudioDeviceInfo> out;
    const int n = Pa_GetDeviceCount();
    const PaDeviceIndex def = Pa_GetDefaultInputDevice();
    for (int i = 0; i < n; ++i) {
        const PaDeviceInfo* d = Pa_GetDeviceInfo(i);
        if (!d || d->maxInputChannels < 1) continue;
        AudioDeviceInfo a;
        a.index = i;
        a.name = d->name ? d->name : "?";
        const PaHostApiInfo* h = Pa_GetHostApiInfo(d->hostApi);
        a.host_api = h && h->name ? h->name : "?";
        a.max_input_channels = d->maxInputChannels;
        a.default_rate_hz = d->defaultSampleRate;
        a.is_default = (i == def);
        out.push_back(a);
    }
    return out;
}

}  // namespace

std::vector<AudioDeviceInfo> list_audio_inputs() {
    std::lock_guard lock(pa_mutex());
    const PaError err = quiet_initialize();
    if (err != paNoError) throw SourceError(std::string("PortAudio: ") + Pa_GetErrorText(err));
    auto out = enumerate_locked();
    Pa_Terminate();
    return out;
}

MicSource::MicSource(std::string name) : m_name(std::move(name)) {
    m_info.kind = "mic";
    m_info.name = m_name.empty() ? "default microphone" : m_name;
}

MicSource::~MicSource() { close(); }

void MicSource::on_audio(const float* in, unsigned long frames, bool overflow) noexcept {
    if (overflow) m_overflows.fetch_add(1, std::memory_order_relaxed);
    if (in) m_ring->push(in, frames * static_cast<unsigned long>(m_channels));
}

void MicSource::open() {
    std::lock_guard lock(pa_mutex());
    const PaError ierr = quiet_initialize();
    if (ierr != paNoError) throw SourceError(std::string("PortAudio: ") + Pa_GetErrorText(ierr));
    m_pa_initialised = true;
    auto fail = [&](const std::string& msg) {
        Pa_Terminate();
        m_pa_initialised = false;
        throw SourceError(msg);
    };
    const auto devices = enumerate_locked();
    if (devices.empty()) fail("no microphone found (no audio input device)");
    const AudioDeviceInfo* chosen = nullptr;
    if (m_name.empty()) {
        for (const auto& d : devices)
            if (d.is_default) chosen = &d;
        if (!chosen) chosen = &devices.front();
    } else {
        for (const auto& d : devices)
            if (d.name == m_name) chosen = &d;
        if (!chosen) {
            const std::string want = lower(m_name);
            for (const auto& d : devices)
                if (lower(d.name).find(want) != std::string::npos) {
                    chosen = &d;
                    break;
                }
        }
        if (!chosen) fail("no microphone named '" + m_name + "'");
    }

    PaStreamParameters p{};
    p.device = chosen->index;
    p.channelCount = 1;
    p.sampleFormat = paFloat32;
    p.suggestedLatency = Pa_GetDeviceInfo(chosen->index)->defaultLowInputLatency;
    double rate = chosen->default_rate_hz;
    const double fallbacks[] = {rate, 48000.0, 44100.0, 16000.0};
    bool ok = false;
    for (int ch : {1, std::min(2, chosen->max_input_channels)}) {
        p.channelCount = ch;
        for (double r : fallbacks)
            if (r > 0 && Pa_IsFormatSupported(&p, nullptr, r) == paFormatIsSupported) {
                rate = r;
                ok = true;
                break;
            }
        if (ok) break;
    }
    if (!ok) fail("microphone '" + chosen->name + "' supports no usable format");
    m_channels = p.channelCount;
    m_rate = static_cast<int>(rate);
    m_ring = std::make_unique<SpscRing<float>>(static_cast<std::size_t>(m_rate) * m_channels * 4);  // ~4 s
    PaStream* stream = nullptr;
    PaError err = Pa_OpenStream(&stream, &p, nullptr, rate, paFramesPerBufferUnspecified, paClipOff,
                                pa_callback, this);
    if (err != paNoError) fail("cannot open microphone '" + chosen->name + "': " + Pa_GetErrorText(err));
    err = Pa_StartStream(stream);
    if (err != paNoError) {
        Pa_CloseStream(stream);
        fail("cannot start microphone '" + chosen->name + "': " + Pa_GetErrorText(err));
    }
    m_stream = stream;
    m_info.name = chosen->name;
    char buf[96];
    std::snprintf(buf, sizeof buf, "%d Hz, %d ch (%s)", m_rate, m_channels, chosen->host_api.c_str());
    m_info.detail = buf;
    m_delivered = 0;
}

ReadStatus MicSource::read(MediaItem& out) {
    if (!m_stream) return ReadStatus::End;
    const std::size_t want = static_cast<std::size_t>(std::max(256, m_rate / 50)) * m_channels;  // ~20 ms
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
    while (m_ring->size() < want) {
        if (m_interrupted.exchange(false)) return ReadStatus::Timeout;
        const PaError active = Pa_IsStreamActive(static_cast<PaStream*>(m_stream));
        if (active != 1)
            throw SourceError("microphone '" + m_info.name + "' stopped" +
                              (active < 0 ? std::string(": ") + Pa_GetErrorText(active) : std::string(" (unplugged?)")));
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::size_t avail = std::min(m_ring->size(), want * 4);
    avail -= avail % static_cast<std::size_t>(m_channels);
    if (avail == 0) return ReadStatus::Timeout;
    out.samples.resize(avail);
    const std::size_t got = m_ring->pop(out.samples.data(), avail);
    out.samples.resize(got);
    out.set_audio(m_channels, m_rate, m_delivered);
    m_delivered += static_cast<std::int64_t>(got / static_cast<std::size_t>(m_channels));
    return ReadStatus::Ok;
}

void MicSource::close() {
    std::lock_guard lock(pa_mutex());
    if (m_stream) {
        auto* s = static_cast<PaStream*>(m_stream);
        Pa_AbortStream(s);
        Pa_CloseStream(s);
        m_stream = nullptr;
    }
    if (m_pa_initialised) {
        Pa_Terminate();
        m_pa_initialised = false;
    }
}

}  // namespace colive
