// SPDX-License-Identifier: MIT
// A small line of recent values (e.g. latency per step) so spikes are visible.
#pragma once

#include <QWidget>

#include <vector>

namespace colive::ui {

class Sparkline : public QWidget {
    Q_OBJECT
public:
    explicit Sparkline(QWidget* parent = nullptr);
    void setValues(std::vector<float> values);
    const std::vector<float>& values() const { return m_values; }
    QSize sizeHint() const override { return {140, 28}; }
    QSize minimumSizeHint() const override { return {60, 18}; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    std::vector<float> m_values;
};

}  // namespace colive::ui
