// SPDX-License-Identifier: MIT
#include "probability_plot.h"

#include "class_colors.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace colive::ui {

ProbabilityPlot::ProbabilityPlot(QWidget* parent) : QWidget(parent) {
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setAttribute(Qt::WA_OpaquePaintEvent);
}

void ProbabilityPlot::setTitle(const QString& title) {
    m_title = title;
    update();
}
void ProbabilityPlot::setClasses(const QStringList& classes) {
    m_classes = classes;
    update();
}
void ProbabilityPlot::setTimeSpan(double seconds) {
    m_span = std::max(1.0, seconds);
    update();
}
void ProbabilityPlot::setMarkers(std::vector<PlotMarker> markers) {
    m_markers = std::move(markers);
    update();
}
void ProbabilityPlot::setWarmup(int k, int n) {
    m_warm_k = k;
    m_warm_n = n;
    update();
}
void ProbabilityPlot::setLegendVisible(bool on) {
    m_legend = on;
    update();
}
void ProbabilityPlot::setPoints(std::vector<PlotPoint> points) {
    m_points = std::move(points);
    update();
}
void ProbabilityPlot::clear() {
    m_points.clear();
    m_warm_k = m_warm_n = 0;
    update();
}

void ProbabilityPlot::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, true);
    const QPalette pal = palette();
    p.fillRect(rect(), pal.base());
    const QColor text = pal.color(QPalette::Text);
    QColor grid = text;
    grid.setAlphaF(0.15);

    const QFontMetrics fm(font());
    const int lh = fm.height();
    // Legend on the right, in columns of class names.
    int legendW = 0;
    if (!m_classes.isEmpty()) {
        for (const auto& c : m_classes) legendW = std::max(legendW, fm.horizontalAdvance(c));
        legendW += 24;
    }
    QRect plot = rect().adjusted(38, lh + 8, -(legendW + 10), -(lh + 6));
    if (plot.width() < 40 || plot.height() < 30) plot = rect().adjusted(4, lh + 4, -4, -4);

    // Title
    QFont tf = font();
    tf.setBold(true);
    p.setFont(tf);
    p.setPen(text);
    p.drawText(QRect(plot.left(), 2, plot.width(), lh + 4), Qt::AlignLeft | Qt::AlignVCenter, m_title);
    p.setFont(font());

    // Axes and grid
    p.setPen(grid);
    for (int i = 0; i <= 4; ++i) {
        const int y = plot.bottom() - i * plot.height() / 4;
        p.drawLine(plot.left(), y, plot.right(), y);
    }
    p.setPen(text);
    for (int i = 0; i <= 4; i += 2) {
        const int y = plot.bottom() - i * plot.height() / 4;
        p.drawText(QRect(0, y - lh / 2, plot.left() - 4, lh), Qt::AlignRight | Qt::AlignVCenter,
                   QString::number(i / 4.0, 'g', 2));
    }
    p.drawRect(plot.adjusted(0, 0, -1, -1));

    const double t_end = m_points.empty() ? m_span : std::max(m_points.back().t, m_span);
    const double t_begin = t_end - m_span;
    auto xOf = [&](double t) { return plot.left() + (t - t_begin) / m_span * plot.width(); };
    auto yOf = [&](double v) { return plot.bottom() - std::clamp(v, 0.0, 1.0) * plot.height(); };

    // Time labels: media time in seconds, every 5 s (the Regular and Continual plots share them).
    p.setPen(text);
    const double stepS = m_span > 30 ? 10.0 : 5.0;
    for (double s = std::ceil(std::max(0.0, t_begin) / stepS) * stepS; s <= t_end + 1e-9; s += stepS) {
        const double x = xOf(s);
        p.setPen(grid);
        p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
        p.setPen(text);
        p.drawText(QRectF(x - 30, plot.bottom() + 2, 60, lh), Qt::AlignCenter, QStringLiteral("%1 s").arg(s, 0, 'f', 0));
    }

    if (m_points.empty()) {
        p.setPen(text);
        p.drawText(plot, Qt::AlignCenter, tr("waiting for tokens…"));
    } else {
        // Warm-up region greyed
        double warmEnd = -1e300;
        for (const auto& pt : m_points)
            if (pt.warmup) warmEnd = std::max(warmEnd, pt.t);
        if (warmEnd > t_begin) {
            QColor g = pal.color(QPalette::Mid);
            g.setAlphaF(0.35);
            p.fillRect(QRectF(QPointF(plot.left(), plot.top()), QPointF(std::min<double>(xOf(warmEnd), plot.right()), plot.bottom())), g);
        }
        p.save();
        p.setClipRect(plot);
        const int nc = static_cast<int>(m_classes.isEmpty() ? m_points.back().p.size() : m_classes.size());
        for (int c = 0; c < nc; ++c) {
            QPainterPath path, warmPath;
            bool started = false, wstarted = false;
            for (const auto& pt : m_points) {
                if (pt.t < t_begin - 1.0 || c >= static_cast<int>(pt.p.size())) continue;
                const QPointF q(xOf(pt.t), yOf(pt.p[static_cast<std::size_t>(c)]));
                QPainterPath& pp = pt.warmup ? warmPath : path;
                bool& st = pt.warmup ? wstarted : started;
                if (!st) {
                    pp.moveTo(q);
                    st = true;
                } else {
                    pp.lineTo(q);
                }
            }
            QColor col = classColor(c);
            QColor wcol = col;
            wcol.setAlphaF(0.3);
            p.setPen(QPen(wcol, 1.2));
            p.drawPath(warmPath);
            p.setPen(QPen(col, 2.0));
            p.drawPath(path);
        }
        p.restore();
    }

    // Mode-switch markers: a dashed line and its label at the top of the plot.
    double lastLabelRight = -1e300;
    int row = 0;
    for (const auto& mk : m_markers) {
        if (mk.t < t_begin || mk.t > t_end) continue;
        const double x = xOf(mk.t);
        QColor mc = text;
        mc.setAlphaF(0.6);
        p.setPen(QPen(mc, 1.0, Qt::DashLine));
        p.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom()));
        p.setPen(text);
        const int w = fm.horizontalAdvance(mk.label) + 6;
        const double lx = std::min<double>(x + 3, plot.right() - w);
        row = lx < lastLabelRight ? row + 1 : 0;     // labels of close switches stack upwards
        lastLabelRight = lx + w;
        p.drawText(QRectF(lx, plot.bottom() - (row + 1) * (lh + 2), w, lh), Qt::AlignLeft | Qt::AlignVCenter, mk.label);
    }

    if (m_warm_n > 0 && m_warm_k < m_warm_n) {
        const QString badge = tr("warm-up %1/%2").arg(m_warm_k).arg(m_warm_n);
        const QRect br(plot.right() - fm.horizontalAdvance(badge) - 14, plot.top() + 4, fm.horizontalAdvance(badge) + 10, lh + 2);
        p.setPen(Qt::NoPen);
        QColor bg = pal.color(QPalette::Window);
        bg.setAlphaF(0.85);
        p.setBrush(bg);
        p.drawRoundedRect(br, 4, 4);
        p.setPen(text);
        p.drawText(br, Qt::AlignCenter, badge);
    }

    // Legend
    if (m_legend && legendW > 0) {
        int y = plot.top();
        const int x = plot.right() + 12;
        for (int c = 0; c < m_classes.size(); ++c) {
            if (y + lh > height()) break;
            p.setPen(Qt::NoPen);
            p.setBrush(classColor(c));
            p.drawRect(x, y + lh / 2 - 4, 12, 8);
            p.setPen(text);
            p.drawText(QRect(x + 16, y, legendW, lh), Qt::AlignLeft | Qt::AlignVCenter, m_classes[c]);
            y += lh;
        }
    }
}

}  // namespace colive::ui
