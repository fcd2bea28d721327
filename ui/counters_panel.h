// SPDX-License-Identifier: MIT
// The headline numbers: MACs per step for both modes (paper convention, known analytically even
// for the mode not running), latency p50/p95 with sparklines, the ratios, tokens/s, drops,
// max |Regular - Continual| and warm-up progress.
#pragma once

#include <QLabel>
#include <QWidget>

#include <cstdint>
#include <vector>

namespace colive::ui {

class Sparkline;

struct CountersData {
    struct Mode {
        bool active = false;            // this mode is being run
        std::int64_t macs = 0;          // MACs per step (paper convention)
        double p50_ms = -1, p95_ms = -1;  // < 0: no data
        std::vector<float> history;     // recent latencies (ms)
    } mode[2];                          // [0] Regular, [1] Continual
    double tokens_per_s = 0.0;
    std::int64_t tokens = 0;
    std::uint64_t dropped_frames = 0;   // source -> features
    std::uint64_t dropped_tokens = 0;   // features -> engine
    std::uint64_t dropped_samples = 0;  // inside the source (mic ring)
    double max_abs_diff = -1;           // < 0: not available (single mode or warm-up)
    int warm_k = 0, warm_n = 0;
    double e2e_p95_ms = -1;
};

class CountersPanel : public QWidget {
    Q_OBJECT
public:
    explicit CountersPanel(QWidget* parent = nullptr);
    void setData(const CountersData& d);
    const CountersData& data() const { return m_data; }
    // The texts as displayed, for tests and the --screenshot state file.
    QString macsText(int mode) const;
    QString latencyText(int mode) const;
    QString macsRatioText() const;
    QString latencyRatioText() const;
    QString statsText() const;

private:
    CountersData m_data;
    QLabel* m_macs[2]{};
    QLabel* m_lat[2]{};
    QLabel* m_macsRatio{};
    QLabel* m_latRatio{};
    QLabel* m_stats{};
    Sparkline* m_spark[2]{};
};

}  // namespace colive::ui
