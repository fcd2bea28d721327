// SPDX-License-Identifier: MIT
#include "export.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace colive {

namespace {
std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string o = "\"";
    for (char c : s) {
        if (c == '"') o += '"';
        o += c;
    }
    return o + "\"";
}
}  // namespace

ExportWriter::Format ExportWriter::format_for(const std::filesystem::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".csv") return Format::Csv;
    if (ext == ".jsonl" || ext == ".json" || ext == ".ndjson") return Format::JsonLines;
    throw Error("cannot tell the export format of '" + path.string() + "': use .csv or .jsonl");
}

ExportWriter::ExportWriter(const std::filesystem::path& path, std::vector<std::string> classes)
    : m_format(format_for(path)), m_classes(std::move(classes)) {
    m_file = std::fopen(path.string().c_str(), "w");
    if (!m_file) throw Error("cannot write " + path.string() + ": " + std::strerror(errno));
    if (m_format == Format::Csv) {
        std::fputs("time_s,step,mode", m_file);
        for (const auto& c : m_classes) std::fprintf(m_file, ",%s", csv_field(c).c_str());
        std::fputs(",latency_ms,macs,warmup\n", m_file);
    }
}

ExportWriter::~ExportWriter() {
    if (m_file) std::fclose(m_file);
}

void ExportWriter::flush() {
    if (m_file) std::fflush(m_file);
}

void ExportWriter::write(const StepRecord& rec) {
    static const char* names[2] = {"regular", "continual"};
    for (int m = 0; m < 2; ++m) {
        const ModeOutput& o = rec.out[m];
        if (!o.present) continue;
        if (m_format == Format::Csv) {
            std::fprintf(m_file, "%.4f,%lld,%s", rec.time_s, static_cast<long long>(rec.step), names[m]);
            for (std::size_t c = 0; c < m_classes.size(); ++c)
                std::fprintf(m_file, ",%.9g", c < o.probs.size() ? static_cast<double>(o.probs[c]) : 0.0);
            std::fprintf(m_file, ",%.4f,%lld,%d\n", o.latency_ms, static_cast<long long>(o.macs), o.warmup ? 1 : 0);
        } else {
            std::fprintf(m_file, "{\"time_s\":%.4f,\"step\":%lld,\"mode\":\"%s\",\"probs\":{", rec.time_s,
                         static_cast<long long>(rec.step), names[m]);
            for (std::size_t c = 0; c < m_classes.size(); ++c)
                std::fprintf(m_file, "%s\"%s\":%.9g", c ? "," : "", json_escape(m_classes[c]).c_str(),
                             c < o.probs.size() ? static_cast<double>(o.probs[c]) : 0.0);
            std::fprintf(m_file, "},\"latency_ms\":%.4f,\"macs\":%lld,\"warmup\":%s}\n", o.latency_ms,
                         static_cast<long long>(o.macs), o.warmup ? "true" : "false");
        }
        ++m_rows;
    }
}

std::size_t export_records(const std::filesystem::path& path, const std::vector<std::string>& classes,
                           const std::vector<StepRecord>& records) {
    ExportWriter w(path, classes);
    for (const auto& r : records) w.write(r);
    w.flush();
    return w.rows();
}

}  // namespace colive
