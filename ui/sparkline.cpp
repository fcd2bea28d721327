// SPDX-License-Identifier: MIT
#include "sparkline.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>

namespace colive::ui {

Sparkline::Sparkline(QWidget* parent) : QWidget(parent) {
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
}

void Sparkline::setValues(std::vector<float> values) {
    if (values == m_values) return;   // the counters are set on every 30 Hz tick, the history changes per step
    m_values = std::move(values);
    update();
}

void Sparkline::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, true);
    const QPalette pal = palette();
    QColor bg = pal.color(QPalette::Base);
    p.fillRect(rect(), bg);
    if (m_values.size() < 2) return;
    const float hi = std::max(1e-6f, *std::max_element(m_values.begin(), m_values.end()));
    const QRectF r = QRectF(rect()).adjusted(1, 2, -1, -2);
    QPainterPath path;
    const double n = static_cast<double>(m_values.size() - 1);
    for (std::size_t i = 0; i < m_values.size(); ++i) {
        const QPointF q(r.left() + static_cast<double>(i) / n * r.width(),
                        r.bottom() - static_cast<double>(m_values[i] / hi) * r.height());
        if (i == 0) path.moveTo(q); else path.lineTo(q);
    }
    p.setPen(QPen(pal.color(QPalette::Highlight), 1.3));
    p.drawPath(path);
}

}  // namespace colive::ui
