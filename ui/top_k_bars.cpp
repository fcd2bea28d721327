// SPDX-License-Identifier: MIT
#include "top_k_bars.h"

#include "class_colors.h"

#include <QPainter>

#include <algorithm>
#include <numeric>

namespace colive::ui {

TopKBars::TopKBars(QWidget* parent) : QWidget(parent) {
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
}

void TopKBars::setTitle(const QString& t) { m_title = t; update(); }
void TopKBars::setClasses(const QStringList& classes) { m_classes = classes; update(); }
void TopKBars::setK(int k) { m_k = std::max(1, k); update(); }
void TopKBars::setProbabilities(std::vector<float> probs, bool warmup) {
    m_probs = std::move(probs);
    m_warmup = warmup;
    update();
}
void TopKBars::clear() { m_probs.clear(); update(); }

std::vector<std::pair<int, float>> TopKBars::topK() const {
    std::vector<int> idx(m_probs.size());
    std::iota(idx.begin(), idx.end(), 0);
    const int k = std::min<int>(m_k, static_cast<int>(idx.size()));
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                      [&](int a, int b) { return m_probs[static_cast<std::size_t>(a)] > m_probs[static_cast<std::size_t>(b)]; });
    std::vector<std::pair<int, float>> out;
    for (int i = 0; i < k; ++i) out.emplace_back(idx[static_cast<std::size_t>(i)], m_probs[static_cast<std::size_t>(idx[static_cast<std::size_t>(i)])]);
    return out;
}

void TopKBars::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing, true);
    const QPalette pal = palette();
    p.fillRect(rect(), pal.base());
    const QColor text = pal.color(QPalette::Text);
    const QFontMetrics fm(font());
    const int lh = fm.height();
    QFont tf = font();
    tf.setBold(true);
    p.setFont(tf);
    p.setPen(text);
    p.drawText(QRect(6, 2, width() - 12, lh + 2), Qt::AlignLeft | Qt::AlignVCenter,
               m_warmup ? m_title + tr(" (warm-up)") : m_title);
    p.setFont(font());
    const auto top = topK();
    if (top.empty()) {
        p.drawText(rect(), Qt::AlignCenter, tr("no prediction yet"));
        return;
    }
    int nameW = 0;
    for (const auto& c : m_classes) nameW = std::max(nameW, fm.horizontalAdvance(c));
    nameW = std::min(nameW + 10, width() / 3);
    const int valueW = fm.horizontalAdvance(QStringLiteral("100.0 %")) + 8;
    const int rows = static_cast<int>(top.size());
    const int rowH = std::max(lh, (height() - lh - 8) / std::max(1, rows));
    int y = lh + 6;
    for (const auto& [cls, prob] : top) {
        const QString name = cls < m_classes.size() ? m_classes[cls] : QStringLiteral("class %1").arg(cls);
        p.setPen(text);
        p.drawText(QRect(6, y, nameW, rowH), Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(name, Qt::ElideRight, nameW - 4));
        const int barX = 6 + nameW;
        const int barMax = std::max(10, width() - barX - valueW - 6);
        const int barH = std::max(4, std::min(rowH - 4, lh + 4));
        QColor col = classColor(cls);
        if (m_warmup) col.setAlphaF(0.4);
        p.setPen(Qt::NoPen);
        p.setBrush(col);
        p.drawRoundedRect(QRectF(barX, y + (rowH - barH) / 2.0, std::max(1.0, static_cast<double>(prob) * barMax), barH), 2, 2);
        p.setPen(text);
        p.drawText(QRect(barX + barMax + 4, y, valueW, rowH), Qt::AlignLeft | Qt::AlignVCenter,
                   QString::number(static_cast<double>(prob) * 100.0, 'f', 1) + QStringLiteral(" %"));
        y += rowH;
    }
}

}  // namespace colive::ui
