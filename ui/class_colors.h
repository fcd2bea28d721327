// SPDX-License-Identifier: MIT
// One fixed colour per class index, the same in every view (plots, bars, legend, preview label).
#pragma once

#include <QColor>
#include <QString>

namespace colive::ui {

QColor classColor(int index);
// Human-readable numbers: 605.7 M, 9.6 k; milliseconds with sensible precision.
QString formatCount(double v);
QString formatMs(double ms);
QString formatRatio(double r);

}  // namespace colive::ui
