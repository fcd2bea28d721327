// SPDX-License-Identifier: MIT
#include "sources/audio_file_reader.h"

#include <sndfile.h>

#include <cmath>

namespace colive {

struct AudioFileReader::Impl {
    std::filesystem::path path;
    SNDFILE* file = nullptr;
    SF_INFO info{};
    ~Impl() {
        if (file) sf_close(file);
    }
};

AudioFileReader::AudioFileReader(const std::filesystem::path& path) : m_impl(std::make_unique<Impl>()) {
    m_impl->path = path;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw AudioFileError("audio file not found: " + path.string());
    if (std::filesystem::is_directory(path, ec)) throw AudioFileError("audio file is a directory: " + path.string());
    m_impl->file = sf_open(path.string().c_str(), SFM_READ, &m_impl->info);
    if (!m_impl->file)
        throw AudioFileError("cannot decode audio file " + path.string() + ": " + sf_strerror(nullptr));
    const SF_INFO& i = m_impl->info;
    if (i.channels < 1 || i.channels > 64 || i.samplerate < 1 || i.samplerate > 1'000'000)
        throw AudioFileError("audio file " + path.string() + " has an unsupported layout (" + std::to_string(i.channels) +
                             " channels at " + std::to_string(i.samplerate) + " Hz)");
    // Integer formats are scaled to [-1, 1]; float files are passed through as stored.
    sf_command(m_impl->file, SFC_SET_NORM_FLOAT, nullptr, SF_TRUE);
}

AudioFileReader::~AudioFileReader() = default;
AudioFileReader::AudioFileReader(AudioFileReader&&) noexcept = default;
AudioFileReader& AudioFileReader::operator=(AudioFileReader&&) noexcept = default;

int AudioFileReader::rate() const { return m_impl->info.samplerate; }
int AudioFileReader::channels() const { return m_impl->info.channels; }
std::int64_t AudioFileReader::frames() const {
    const auto f = static_cast<std::int64_t>(m_impl->info.frames);
    return (f <= 0 || f == SF_COUNT_MAX) ? -1 : f;
}
double AudioFileReader::duration_s() const {
    const auto f = frames();
    return f < 0 ? -1.0 : static_cast<double>(f) / rate();
}
std::string AudioFileReader::format_name() const {
    SF_FORMAT_INFO major{}, sub{};
    major.format = m_impl->info.format & SF_FORMAT_TYPEMASK;
    sub.format = m_impl->info.format & SF_FORMAT_SUBMASK;
    std::string s;
    if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &major, sizeof(major)) == 0 && major.name) s = major.name;
    if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &sub, sizeof(sub)) == 0 && sub.name) s += std::string(" / ") + sub.name;
    return s;
}
const std::filesystem::path& AudioFileReader::path() const { return m_impl->path; }

std::size_t AudioFileReader::read(std::vector<float>& out, std::size_t max_frames) {
    const auto ch = static_cast<std::size_t>(channels());
    out.resize(max_frames * ch);
    const sf_count_t got = sf_readf_float(m_impl->file, out.data(), static_cast<sf_count_t>(max_frames));
    if (got < 0) throw AudioFileError("error decoding " + m_impl->path.string() + ": " + sf_strerror(m_impl->file));
    if (got == 0 && sf_error(m_impl->file) != SF_ERR_NO_ERROR)
        throw AudioFileError("error decoding " + m_impl->path.string() + ": " + sf_strerror(m_impl->file));
    out.resize(static_cast<std::size_t>(got) * ch);
    return static_cast<std::size_t>(got);
}

void AudioFileReader::rewind() {
    if (sf_seek(m_impl->file, 0, SEEK_SET) < 0)
        throw AudioFileError("cannot seek in " + m_impl->path.string() + ": " + sf_strerror(m_impl->file));
}

std::vector<float> AudioFileReader::read_all(const std::filesystem::path& path, int& rate, int& channels) {
    AudioFileReader r(path);
    rate = r.rate();
    channels = r.channels();
    std::vector<float> all, chunk;
    while (r.read(chunk, 65536) > 0) all.insert(all.end(), chunk.begin(), chunk.end());
    return all;
}

}  // namespace colive
