// SPDX-License-Identifier: MIT
// Per-class probability over time (last N seconds), one line per class in its fixed colour, with a
// legend. Warm-up steps are drawn greyed with a k/n badge. Plain data in, QPainter out.
#pragma once

#include <QStringList>
#include <QWidget>

#include <deque>
#include <vector>

namespace colive::ui {

// A labelled instant on the time axis, e.g. "→ Continual" where the viewer switched modes.
struct PlotMarker {
    double t = 0.0;                  // seconds (media time)
    QString label;
};

struct PlotPoint {
    double t = 0.0;                  // seconds (media time)
    std::vector<float> p;            // one probability per class
    bool warmup = false;
};

class ProbabilityPlot : public QWidget {
    Q_OBJECT
public:
    explicit ProbabilityPlot(QWidget* parent = nullptr);

    void setTitle(const QString& title);
    void setClasses(const QStringList& classes);
    void setTimeSpan(double seconds);
    void setWarmup(int k, int n);    // shown while k < n
    void setLegendVisible(bool on);
    void setPoints(std::vector<PlotPoint> points);   // oldest first
    void setMarkers(std::vector<PlotMarker> markers);
    void clear();

    int pointCount() const { return static_cast<int>(m_points.size()); }
    const std::vector<PlotMarker>& markers() const { return m_markers; }
    QString title() const { return m_title; }
    QSize minimumSizeHint() const override { return {320, 140}; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    QString m_title;
    QStringList m_classes;
    std::vector<PlotPoint> m_points;
    std::vector<PlotMarker> m_markers;
    double m_span = 20.0;
    int m_warm_k = 0, m_warm_n = 0;
    bool m_legend = true;
};

}  // namespace colive::ui
