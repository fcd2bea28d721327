// SPDX-License-Identifier: MIT
#include "class_colors.h"

#include <array>
#include <cmath>

namespace colive::ui {

QColor classColor(int index) {
    // Tableau 10, then a second set; readable on dark and light backgrounds.
    static const std::array<QRgb, 20> palette = {
        0x4e79a7, 0xf28e2b, 0xe15759, 0x76b7b2, 0x59a14f, 0xedc948, 0xb07aa1, 0xff9da7, 0x9c755f, 0xbab0ac,
        0x1f77b4, 0xd62728, 0x2ca02c, 0x9467bd, 0x8c564b, 0xe377c2, 0x17becf, 0xbcbd22, 0x7f7f7f, 0xff7f0e};
    if (index < 0) return QColor(Qt::gray);
    const std::size_t i = static_cast<std::size_t>(index) % palette.size();
    return QColor::fromRgb(palette[i]);
}

QString formatCount(double v) {
    if (!std::isfinite(v)) return QStringLiteral("—");
    const double a = std::fabs(v);
    if (a >= 1e9) return QString::number(v / 1e9, 'f', 2) + QStringLiteral(" G");
    if (a >= 1e6) return QString::number(v / 1e6, 'f', 1) + QStringLiteral(" M");
    if (a >= 1e3) return QString::number(v / 1e3, 'f', 1) + QStringLiteral(" k");
    return QString::number(v, 'f', 0);
}

QString formatMs(double ms) {
    if (!std::isfinite(ms)) return QStringLiteral("—");
    if (ms >= 100) return QString::number(ms, 'f', 0);
    if (ms >= 10) return QString::number(ms, 'f', 1);
    if (ms >= 1) return QString::number(ms, 'f', 2);
    return QString::number(ms, 'f', 3);
}

QString formatRatio(double r) {
    if (!std::isfinite(r) || r <= 0) return QStringLiteral("—");
    if (r >= 10) return QString::number(r, 'f', 0) + QStringLiteral("×");
    return QString::number(r, 'f', 1) + QStringLiteral("×");
}

}  // namespace colive::ui
