// SPDX-License-Identifier: MIT
// Export of per-step predictions: CSV (.csv) or JSON Lines (.jsonl / .json / .ndjson), one row per
// mode per step: time, step, mode, per-class probabilities, latency, MACs, warm-up flag.
#pragma once

#include "pipeline.h"

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace colive {

class ExportWriter {
public:
    enum class Format { Csv, JsonLines };
    static Format format_for(const std::filesystem::path& path);   // by extension; throws Error

    // Opens (truncates) the file; throws Error with the path on failure.
    ExportWriter(const std::filesystem::path& path, std::vector<std::string> classes);
    ~ExportWriter();
    ExportWriter(const ExportWriter&) = delete;
    ExportWriter& operator=(const ExportWriter&) = delete;

    void write(const StepRecord& rec);            // one line per present mode
    void flush();
    std::size_t rows() const { return m_rows; }

private:
    std::FILE* m_file = nullptr;
    Format m_format;
    std::vector<std::string> m_classes;
    std::size_t m_rows = 0;
};

// Writes all records (of one session) to `path`. Returns the number of rows.
std::size_t export_records(const std::filesystem::path& path, const std::vector<std::string>& classes,
                           const std::vector<StepRecord>& records);


}  // namespace colive
