// SPDX-License-Identifier: MIT
// Fuzz target: the audio input path the project writes itself (colive::AudioFeatures: channel
// mixing, polyphase resampler from any rate, log-mel framing, token bookkeeping, flush/reset).
// Input format (all little-endian), repeated until the input ends:
//   op byte:  op & 3 == 0  int16 samples (always within [-1, 1])
//             op & 3 == 1  raw float32 samples (anything: NaN, Inf, 1e30, denormals)
//             op & 3 == 2  new format: u8 rate index (>= 12: next 4 bytes are a raw int32 rate),
//                          u8 channel count (0..9; 0 and 9 are invalid on purpose)
//             op & 3 == 3  flush() (op & 4) or reset() (op & 8)
//   for sample ops, frames = ((op >> 2) + 1) * 37, plus (op >> 7) stray samples that break the
//   multiple-of-channels rule.
// Properties: only colive::Error escapes; tokens have dim() values, non-decreasing times, and
// are finite whenever every sample pushed since the last reset was finite and in [-1, 1].
#include "colive/features.h"
#include "fuzz_input.h"

#include <cmath>
#include <vector>

namespace {
constexpr const char* kName = "fuzz_audio_features";
constexpr int kRates[] = {8000, 16000, 44100, 48000, 192000, 4000, 11025, 22050, 96000, 768000, 3999, 768001};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static colive::AudioFeatures features;
    features.reset();
    colive_fuzz::Input in(data, size);
    int rate = 16000, channels = 1;
    bool clean = true;             // every sample since reset finite and within [-1, 1]
    double last_time = -1.0;
    std::vector<float> buf;
    const auto dim = std::size_t(features.dim());
    auto on_token = [&](const colive::Token& t) {
        if (t.values.size() != dim) colive_fuzz::violated(kName, "token width != dim()");
        if (!(t.time_s >= last_time)) colive_fuzz::violated(kName, "token times go backwards");
        last_time = t.time_s;
        if (clean)
            for (float v : t.values)
                if (!std::isfinite(v)) colive_fuzz::violated(kName, "non-finite token from clean input");
    };
    int ops = 0;
    while (!in.empty() && ops++ < 64) {
        const std::uint8_t op = in.u8();
        try {
            switch (op & 3) {
                case 0:
                case 1: {
                    const std::size_t frames = std::size_t((op >> 2) & 31) * 37 + 37;
                    const std::size_t n = frames * std::size_t(channels > 0 && channels < 64 ? channels : 1) + (op >> 7);
                    buf.resize(n);
                    for (auto& s : buf) {
                        s = (op & 3) == 0 ? float(std::int16_t(in.u16())) / 32768.0f : in.f32();
                        if (!(std::isfinite(s) && std::fabs(s) <= 1.0f)) clean = clean && !std::isfinite(s);
                    }
                    features.push(buf, channels, rate, on_token);
                    break;
                }
                case 2: {
                    const std::uint8_t ri = in.u8();
                    rate = ri < 12 ? kRates[ri] : in.i32();
                    channels = in.u8() % 10;
                    break;
                }
                default:
                    if (op & 4) features.flush(on_token);
                    if (op & 8) {
                        features.reset();
                        clean = true;
                        last_time = -1.0;
                    }
                    break;
            }
        } catch (const colive::Error&) {
            // A clear refusal (bad rate, channel count, sample count) is fine.
        }
    }
    return 0;
}
