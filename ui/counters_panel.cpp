// SPDX-License-Identifier: MIT
#include "counters_panel.h"

#include "class_colors.h"
#include "sparkline.h"

#include <QGridLayout>

#include <cmath>

namespace colive::ui {

namespace {
QLabel* bigLabel(QWidget* parent, double scale, bool bold) {
    auto* l = new QLabel(parent);
    QFont f = l->font();
    f.setPointSizeF(f.pointSizeF() * scale);
    f.setBold(bold);
    l->setFont(f);
    l->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return l;
}
}  // namespace

CountersPanel::CountersPanel(QWidget* parent) : QWidget(parent) {
    auto* g = new QGridLayout(this);
    g->setContentsMargins(8, 4, 8, 4);
    g->setHorizontalSpacing(14);
    g->setVerticalSpacing(2);
    auto* macsTitle = new QLabel(tr("<b>MACs / step</b><br><small>multiply-accumulates per new token (paper convention)</small>"), this);
    auto* latTitle = new QLabel(tr("<b>Latency / step</b><br><small>p50 / p95 over the last 200 steps</small>"), this);
    g->addWidget(macsTitle, 0, 0);
    g->addWidget(latTitle, 1, 0);
    for (int m = 0; m < 2; ++m) {
        m_macs[m] = bigLabel(this, 1.35, true);
        m_lat[m] = bigLabel(this, 1.35, true);
        m_spark[m] = new Sparkline(this);
        m_spark[m]->setToolTip(tr("latency of recent steps"));
        m_macs[m]->setObjectName(m == 0 ? QStringLiteral("macsRegular") : QStringLiteral("macsContinual"));
        m_lat[m]->setObjectName(m == 0 ? QStringLiteral("latencyRegular") : QStringLiteral("latencyContinual"));
        auto* latBox = new QWidget(this);
        auto* lb = new QVBoxLayout(latBox);
        lb->setContentsMargins(0, 0, 0, 0);
        lb->setSpacing(0);
        lb->addWidget(m_lat[m]);
        lb->addWidget(m_spark[m]);
        g->addWidget(m_macs[m], 0, 1 + m);
        g->addWidget(latBox, 1, 1 + m);
    }
    m_macsRatio = bigLabel(this, 1.5, true);
    m_latRatio = bigLabel(this, 1.5, true);
    m_macsRatio->setObjectName(QStringLiteral("macsRatio"));
    m_latRatio->setObjectName(QStringLiteral("latencyRatio"));
    g->addWidget(m_macsRatio, 0, 3);
    g->addWidget(m_latRatio, 1, 3);
    m_stats = new QLabel(this);
    m_stats->setObjectName(QStringLiteral("stats"));
    m_stats->setTextInteractionFlags(Qt::TextSelectableByMouse);
    g->addWidget(m_stats, 2, 0, 1, 4);
    g->setColumnStretch(1, 2);
    g->setColumnStretch(2, 2);
    g->setColumnStretch(3, 1);
    setData(CountersData{});
}

QString CountersPanel::macsText(int m) const {
    const auto& d = m_data.mode[m];
    const QString name = m == 0 ? tr("Regular") : tr("Continual");
    if (d.macs <= 0) return name + QStringLiteral(" —");
    return name + QStringLiteral(" ") + formatCount(static_cast<double>(d.macs)) + (d.active ? QString() : tr(" (not running)"));
}

QString CountersPanel::latencyText(int m) const {
    const auto& d = m_data.mode[m];
    const QString name = m == 0 ? tr("Regular") : tr("Continual");
    if (!d.active) return name + tr(" not running");
    if (d.p50_ms < 0) return name + QStringLiteral(" — ms");
    return name + QStringLiteral(" ") + formatMs(d.p50_ms) + QStringLiteral(" / ") + formatMs(d.p95_ms) + QStringLiteral(" ms");
}

QString CountersPanel::macsRatioText() const {
    const auto& r = m_data.mode[0];
    const auto& c = m_data.mode[1];
    if (r.macs <= 0 || c.macs <= 0) return QStringLiteral("—");
    return formatRatio(static_cast<double>(r.macs) / static_cast<double>(c.macs)) + tr(" fewer");
}

QString CountersPanel::latencyRatioText() const {
    const auto& r = m_data.mode[0];
    const auto& c = m_data.mode[1];
    if (!r.active || !c.active || r.p50_ms <= 0 || c.p50_ms <= 0) return tr("— (run Both to compare time)");
    return formatRatio(r.p50_ms / c.p50_ms) + tr(" faster");
}

QString CountersPanel::statsText() const {
    const auto& d = m_data;
    QString diff = d.max_abs_diff < 0 ? QStringLiteral("—") : QString::number(d.max_abs_diff, 'g', 2);
    QString s = tr("tokens/s %1   tokens %2   dropped frames %3   dropped tokens %4")
                    .arg(QString::number(d.tokens_per_s, 'f', 1))
                    .arg(d.tokens)
                    .arg(d.dropped_frames)
                    .arg(d.dropped_tokens);
    if (d.dropped_samples > 0) s += tr("   dropped samples %1").arg(d.dropped_samples);
    s += tr("   max |Regular − Continual| %1").arg(diff);
    if (d.warm_n > 0) s += tr("   warm-up %1/%2").arg(d.warm_k).arg(d.warm_n);
    if (d.e2e_p95_ms >= 0) s += tr("   end-to-end p95 %1 ms").arg(formatMs(d.e2e_p95_ms));
    return s;
}

void CountersPanel::setData(const CountersData& d) {
    m_data = d;
    for (int m = 0; m < 2; ++m) {
        m_macs[m]->setText(macsText(m));
        m_lat[m]->setText(latencyText(m));
        m_macs[m]->setEnabled(d.mode[m].active);
        m_lat[m]->setEnabled(d.mode[m].active);
        m_spark[m]->setValues(d.mode[m].active ? d.mode[m].history : std::vector<float>{});
    }
    m_macsRatio->setText(macsRatioText());
    m_latRatio->setText(latencyRatioText());
    m_stats->setText(statsText());
}

}  // namespace colive::ui
