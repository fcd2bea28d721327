// SPDX-License-Identifier: MIT
// AudioFileReader: decodes any file libsndfile reads (WAV, FLAC, OGG/Vorbis, Opus, AIFF, MP3 with
// libsndfile >= 1.1, ...) into interleaved float samples in [-1, 1], with its rate and channels.
// Used by colive-extract and by the file source.
#pragma once

#include "colive/engine.h"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace colive {

struct AudioFileError : Error {
    using Error::Error;
};

class AudioFileReader {
public:
    // Opens the file; throws AudioFileError with a one-line reason (missing, not audio, ...).
    explicit AudioFileReader(const std::filesystem::path& path);
    ~AudioFileReader();
    AudioFileReader(AudioFileReader&&) noexcept;
    AudioFileReader& operator=(AudioFileReader&&) noexcept;

    int rate() const;
    int channels() const;
    std::int64_t frames() const;        // frames in the file (-1 when the format does not say)
    double duration_s() const;          // frames() / rate() (or -1)
    std::string format_name() const;   // e.g. "WAV (Microsoft) / Signed 16 bit PCM"
    const std::filesystem::path& path() const;

    // Reads up to max_frames frames into `out` (resized to frames_read * channels()). Returns the
    // number of frames read; 0 at the end of the file. Throws AudioFileError on a decoding error.
    std::size_t read(std::vector<float>& out, std::size_t max_frames);
    // Seeks back to the first frame (for looping playback).
    void rewind();

    // Convenience: the whole file.
    static std::vector<float> read_all(const std::filesystem::path& path, int& rate, int& channels);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace colive
