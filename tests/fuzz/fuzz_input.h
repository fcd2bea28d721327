// SPDX-License-Identifier: MIT
// Tiny helper for fuzz targets: consumes a fuzz input as a stream of typed values. Past the end
// every read returns zero bytes, so targets never read out of bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace colive_fuzz {

class Input {
public:
    Input(const std::uint8_t* data, std::size_t size) : m_data(data), m_size(data ? size : 0) {}
    std::size_t remaining() const { return m_size - m_pos; }
    bool empty() const { return m_pos >= m_size; }
    std::uint8_t u8() { return m_pos < m_size ? m_data[m_pos++] : 0; }
    std::uint16_t u16() { return std::uint16_t(u8() | (unsigned(u8()) << 8)); }
    std::uint32_t u32() { return std::uint32_t(u16() | (std::uint32_t(u16()) << 16)); }
    std::int32_t i32() {
        const std::uint32_t u = u32();
        std::int32_t v;
        std::memcpy(&v, &u, sizeof v);
        return v;
    }
    float f32() {
        const std::uint32_t u = u32();
        float v;
        std::memcpy(&v, &u, sizeof v);
        return v;
    }

private:
    const std::uint8_t* m_data;
    std::size_t m_size;
    std::size_t m_pos = 0;
};

[[noreturn]] inline void violated(const char* target, const char* what) {
    std::fprintf(stderr, "%s: property violated: %s\n", target, what);
    std::abort();
}

}  // namespace colive_fuzz
