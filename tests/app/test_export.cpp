// SPDX-License-Identifier: MIT
#include "pipeline/export.h"
#include "test_media.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace colive;

namespace {
std::vector<std::string> lines_of(const std::filesystem::path& p) {
    std::ifstream f(p);
    std::vector<std::string> out;
    for (std::string l; std::getline(f, l);) out.push_back(l);
    return out;
}
std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    for (std::string x; std::getline(ss, x, sep);) out.push_back(x);
    return out;
}
std::vector<StepRecord> sample_records() {
    std::vector<StepRecord> v;
    for (int i = 0; i < 3; ++i) {
        StepRecord r;
        r.step = i;
        r.time_s = 0.1 * i;
        for (int m = 0; m < 2; ++m) {
            r.out[m].present = true;
            r.out[m].probs = {0.25f * static_cast<float>(m + 1), 1.0f - 0.25f * static_cast<float>(m + 1)};
            r.out[m].warmup = i == 0;
            r.out[m].latency_ms = 1.5 * (m + 1);
            r.out[m].macs = m == 0 ? 1000 : 100;
        }
        v.push_back(r);
    }
    v[2].out[0].present = false;   // single-mode row
    return v;
}
}  // namespace

TEST(Export, CsvHasOneRowPerModePerStep) {
    colive::test::TempDir d;
    const auto n = export_records(d / "p.csv", {"swipe, left", "clap"}, sample_records());
    EXPECT_EQ(n, 5u);
    const auto lines = lines_of(d / "p.csv");
    ASSERT_EQ(lines.size(), 6u);
    EXPECT_EQ(lines[0], "time_s,step,mode,\"swipe, left\",clap,latency_ms,macs,warmup");
    const auto f = split(lines[2], ',');
    ASSERT_EQ(f.size(), 8u);
    EXPECT_EQ(f[1], "0");
    EXPECT_EQ(f[2], "continual");
    EXPECT_DOUBLE_EQ(std::stod(f[3]), 0.5);
    EXPECT_DOUBLE_EQ(std::stod(f[4]), 0.5);
    EXPECT_DOUBLE_EQ(std::stod(f[5]), 3.0);
    EXPECT_EQ(f[6], "100");
    EXPECT_EQ(f[7], "1");
    EXPECT_EQ(split(lines[5], ',')[2], "continual");
}

TEST(Export, JsonLines) {
    colive::test::TempDir d;
    export_records(d / "p.jsonl", {"a\"b", "c"}, sample_records());
    const auto lines = lines_of(d / "p.jsonl");
    ASSERT_EQ(lines.size(), 5u);
    EXPECT_EQ(lines[0],
              "{\"time_s\":0.0000,\"step\":0,\"mode\":\"regular\",\"probs\":{\"a\\\"b\":0.25,\"c\":0.75},"
              "\"latency_ms\":1.5000,\"macs\":1000,\"warmup\":true}");
}

TEST(Export, BadPathOrExtension) {
    colive::test::TempDir d;
    EXPECT_THROW(ExportWriter(d / "p.txt", {}), Error);
    EXPECT_THROW(ExportWriter(d / "no" / "dir" / "p.csv", {}), Error);
}
