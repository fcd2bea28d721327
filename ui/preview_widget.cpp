// SPDX-License-Identifier: MIT
#include "preview_widget.h"

#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

namespace colive::ui {

namespace {
// A perceptual dark-to-bright colour map (viridis-like control points).
QRgb colormap(double v) {
    static const double stops[][3] = {{68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    v = std::clamp(v, 0.0, 1.0) * 4.0;
    const int i = std::min(3, static_cast<int>(v));
    const double f = v - i;
    auto ch = [&](int k) { return static_cast<int>(stops[i][k] + (stops[i + 1][k] - stops[i][k]) * f); };
    return qRgb(ch(0), ch(1), ch(2));
}

// Bones between COCO keypoints; side: -1 the person's right, +1 their left, 0 the middle.
struct Bone { int a, b, side; };
constexpr Bone kBones[] = {{0, 1, 1}, {0, 2, -1}, {1, 3, 1}, {2, 4, -1}, {5, 6, 0}, {5, 7, 1}, {7, 9, 1}, {6, 8, -1},
                           {8, 10, -1}, {5, 11, 1}, {6, 12, -1}, {11, 12, 0}, {11, 13, 1}, {13, 15, 1}, {12, 14, -1},
                           {14, 16, -1}};
int keypointSide(int k) { return k == 0 ? 0 : (k % 2 == 1 ? 1 : -1); }
QColor sideColor(int side) {
    return side > 0 ? QColor(255, 170, 40) : (side < 0 ? QColor(40, 200, 255) : QColor(240, 240, 240));
}
// Opacity of a keypoint from its score: invisible below 0.1, fully drawn from 0.5.
double scoreAlpha(float score) { return std::clamp((static_cast<double>(score) - 0.1) / 0.4, 0.0, 1.0); }
// The 21-point hand (MediaPipe order, colive/hand.h) as polylines: each finger from the wrist (0) out
// to its tip (four points), and across the palm from the index to the pinky base.
constexpr int kHandChains[][5] = {{0, 1, 2, 3, 4}, {0, 5, 6, 7, 8}, {0, 9, 10, 11, 12}, {0, 13, 14, 15, 16}, {0, 17, 18, 19, 20}};
constexpr int kPalm[] = {5, 9, 13, 17};
// Opacity of a hand from the network's presence score: faint at the presence threshold (0.5), fully
// drawn from 0.9.
double presenceAlpha(float presence) { return std::clamp((static_cast<double>(presence) - 0.5) / 0.4, 0.0, 1.0); }
// A hand's colour (its arm's side: [0] the person's left arm, orange, as its skeleton side) and the dark
// backing behind its bones and tag, both faded by its presence.
QColor handColor(std::size_t arm, float presence) {
    QColor c = sideColor(arm == 0 ? 1 : -1);
    c.setAlphaF(static_cast<float>(0.35 + 0.65 * presenceAlpha(presence)));
    return c;
}
QColor handBacking(float presence) { return QColor(0, 0, 0, static_cast<int>(60 + 80 * presenceAlpha(presence))); }
QString cropSourceTag(colive::HandCropSource s) {
    switch (s) {
    case colive::HandCropSource::wrist: return QStringLiteral("wrist crop");
    case colive::HandCropSource::track: return QStringLiteral("tracked");
    case colive::HandCropSource::detector: return QStringLiteral("detector");
    case colive::HandCropSource::none: break;
    }
    return {};
}
}  // namespace

PreviewWidget::PreviewWidget(QWidget* parent) : QWidget(parent) {
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

void PreviewWidget::setKind(Kind k) {
    if (k != m_kind) clear();
    m_kind = k;
    update();
}
void PreviewWidget::setFrame(const QImage& frame) {
    m_frame = frame;
    update();
}
void PreviewWidget::setLabel(const QString& label, QColor color, double prob) {
    m_label = label;
    m_labelColor = color;
    m_prob = prob;
    update();
}
void PreviewWidget::setLevel(float rms_db, float peak_db) {
    m_rms_db = rms_db;
    m_peak_db = peak_db;
    m_peak_hold = std::max(m_peak_hold - 0.5f, peak_db);
    update();
}
void PreviewWidget::appendSpectrogram(const std::vector<float>& frames, int rows, int cols) {
    if (rows <= 0 || cols <= 0 || frames.size() < static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols)) return;
    for (int r = 0; r < rows; ++r)
        m_spec.emplace_back(frames.begin() + static_cast<std::ptrdiff_t>(r) * cols, frames.begin() + static_cast<std::ptrdiff_t>(r + 1) * cols);
    while (static_cast<int>(m_spec.size()) > m_specCap) m_spec.pop_front();
    update();
}
void PreviewWidget::setMessage(const QString& msg) {
    m_message = msg;
    update();
}
void PreviewWidget::setPose(const colive::PoseFrame& pose) {
    m_pose = pose;
    m_hasPose = true;
    update();
}
void PreviewWidget::clearPose() {
    m_hasPose = false;
    update();
}
void PreviewWidget::setMirrored(bool mirrored) {
    m_mirrored = mirrored;
    update();
}
int PreviewWidget::poseKeypointsDrawn() const {
    if (!m_hasPose || !m_pose.present) return 0;
    int n = 0;
    for (const auto& k : m_pose.kp) n += scoreAlpha(k.score) > 0.0 ? 1 : 0;
    return n;
}
void PreviewWidget::setHands(const colive::HandFrames& hands) {
    m_hands = hands;
    m_hasHands = true;
    update();
}
void PreviewWidget::clearHands() {
    m_hasHands = false;
    update();
}
bool PreviewWidget::handDrawn(std::size_t arm) const {
    return m_hasHands && m_hasPose && m_pose.present && m_pose.width > 0 && m_pose.height > 0 && m_hands[arm].present;
}
int PreviewWidget::handLandmarksDrawn() const {
    return (handDrawn(0) ? colive::kHandLandmarks : 0) + (handDrawn(1) ? colive::kHandLandmarks : 0);
}
void PreviewWidget::clear() {
    m_hasPose = false;
    m_hasHands = false;
    m_frame = QImage();
    m_label.clear();
    m_spec.clear();
    m_rms_db = m_peak_db = m_peak_hold = -120.f;
    update();
}

void PreviewWidget::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::SmoothPixmapTransform, true);
    p.setRenderHint(QPainter::Antialiasing, true);
    const QPalette pal = palette();
    p.fillRect(rect(), QColor(22, 24, 28));   // a media area: dark in light and dark themes alike
    QRect content = rect();
    const QFontMetrics fm(font());

    if (m_kind == Kind::Video && !m_frame.isNull()) {
        QSize s = m_frame.size().scaled(content.size(), Qt::KeepAspectRatio);
        QRect target(QPoint(0, 0), s);
        target.moveCenter(content.center());
        p.save();
        if (m_mirrored) {   // flip about the picture's vertical centre line: picture and skeleton alike
            p.translate(target.left() + target.right() + 1, 0);
            p.scale(-1, 1);
        }
        p.drawImage(target, m_frame);
        if (m_hasPose) paintPose(p, target);
        paintHands(p, target);
        p.restore();
        paintHandTags(p, target);
        content = target;
        if (m_hasPose && !m_pose.present) {
            const QString badge = tr("nobody in view");
            const QRect br(target.left() + 8, target.top() + 8, fm.horizontalAdvance(badge) + 16, fm.height() + 8);
            p.fillRect(br, QColor(0, 0, 0, 160));
            p.setPen(QColor(255, 210, 90));
            p.drawText(br, Qt::AlignCenter, badge);
        }
    } else if (m_kind == Kind::Audio) {
        paintAudio(p, content);
    }

    if (!m_label.isEmpty() && m_kind != Kind::None) {
        QFont f = font();
        f.setPointSizeF(f.pointSizeF() * 1.6);
        f.setBold(true);
        p.setFont(f);
        const QFontMetrics bfm(f);
        const QString text = m_label + QStringLiteral("  ") + QString::number(m_prob * 100.0, 'f', 0) + QStringLiteral(" %");
        const QRect band(content.left(), content.bottom() - bfm.height() - 12, content.width(), bfm.height() + 12);
        p.fillRect(band, QColor(0, 0, 0, 150));
        p.fillRect(QRect(band.left(), band.top(), 8, band.height()), m_labelColor);
        p.setPen(Qt::white);
        p.drawText(band.adjusted(16, 0, -8, 0), Qt::AlignLeft | Qt::AlignVCenter, text);
        p.setFont(font());
    }

    if (!m_message.isEmpty() && (m_kind == Kind::None || (m_frame.isNull() && m_spec.empty()))) {
        p.setPen(QColor(230, 232, 235));
        QRect r = rect().adjusted(16, 16, -16, -16);
        p.drawText(r, Qt::AlignCenter | Qt::TextWordWrap, m_message);
    }
}

QPointF PreviewWidget::framePoint(const QRect& target, float x, float y) const {
    return {target.left() + x * static_cast<double>(target.width()) / std::max(1, m_pose.width),
            target.top() + y * static_cast<double>(target.height()) / std::max(1, m_pose.height)};
}

void PreviewWidget::paintPose(QPainter& p, const QRect& target) {
    if (!m_pose.present || m_pose.width <= 0 || m_pose.height <= 0) return;
    auto at = [&](int k) {
        const auto& kp = m_pose.kp[static_cast<std::size_t>(k)];
        return framePoint(target, kp.x, kp.y);
    };
    const double unit = std::max(2.0, std::min(target.width(), target.height()) / 120.0);
    for (const Bone& b : kBones) {
        const double a = std::min(scoreAlpha(m_pose.kp[static_cast<std::size_t>(b.a)].score),
                                  scoreAlpha(m_pose.kp[static_cast<std::size_t>(b.b)].score));
        if (a <= 0.0) continue;
        QColor c = sideColor(b.side);
        c.setAlphaF(static_cast<float>(0.25 + 0.75 * a));
        p.setPen(QPen(QColor(0, 0, 0, static_cast<int>(120 * a)), 1.6 * unit + 2, Qt::SolidLine, Qt::RoundCap));
        p.drawLine(at(b.a), at(b.b));
        p.setPen(QPen(c, 1.6 * unit, Qt::SolidLine, Qt::RoundCap));
        p.drawLine(at(b.a), at(b.b));
    }
    for (int k = 0; k < colive::kPoseKeypoints; ++k) {
        const double a = scoreAlpha(m_pose.kp[static_cast<std::size_t>(k)].score);
        if (a <= 0.0) continue;
        QColor c = sideColor(keypointSide(k));
        c.setAlphaF(static_cast<float>(0.25 + 0.75 * a));
        p.setPen(QPen(QColor(0, 0, 0, static_cast<int>(160 * a)), 1.0));
        p.setBrush(c);
        p.drawEllipse(at(k), 1.4 * unit, 1.4 * unit);
    }
    p.setBrush(Qt::NoBrush);
}

void PreviewWidget::paintHands(QPainter& p, const QRect& target) {
    const double unit = std::max(1.0, std::min(target.width(), target.height()) / 240.0);
    for (std::size_t arm = 0; arm < 2; ++arm) {
        if (!handDrawn(arm)) continue;
        const colive::HandFrame& h = m_hands[arm];
        auto at = [&](int k) {
            const auto& l = h.lm[static_cast<std::size_t>(k)];
            return framePoint(target, l.x, l.y);
        };
        // one path for the 23 bones and one call for the 21 joints: a few draw calls per hand
        QPainterPath bones;
        for (const auto& chain : kHandChains) {
            bones.moveTo(at(chain[0]));
            for (int i = 1; i < 5; ++i) bones.lineTo(at(chain[i]));
        }
        bones.moveTo(at(kPalm[0]));
        for (int i = 1; i < 4; ++i) bones.lineTo(at(kPalm[i]));
        std::array<QPointF, colive::kHandLandmarks> joints;
        for (int k = 0; k < colive::kHandLandmarks; ++k) joints[static_cast<std::size_t>(k)] = at(k);
        const QColor c = handColor(arm, h.presence);
        p.strokePath(bones, QPen(handBacking(h.presence), 1.5 * unit + 2, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.strokePath(bones, QPen(c, 1.5 * unit, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.setPen(QPen(c, 3.2 * unit, Qt::SolidLine, Qt::RoundCap));
        p.drawPoints(joints.data(), colive::kHandLandmarks);
    }
    p.setBrush(Qt::NoBrush);
}

void PreviewWidget::paintHandTags(QPainter& p, const QRect& target) {
    QFont f = font();
    f.setPointSizeF(f.pointSizeF() * 0.8);
    p.setFont(f);
    const QFontMetrics fm(f);
    for (std::size_t arm = 0; arm < 2; ++arm) {
        if (!handDrawn(arm)) continue;
        const colive::HandFrame& h = m_hands[arm];
        const QString tag = cropSourceTag(h.source);
        if (tag.isEmpty()) continue;
        // below the hand's lowest landmark, centred on it; x flipped as the picture is (mirrored view)
        double x = 0, y = -1e9;
        for (const auto& l : h.lm) {
            x += l.x / colive::kHandLandmarks;
            y = std::max(y, static_cast<double>(l.y));
        }
        const QPointF at = framePoint(target, static_cast<float>(x), static_cast<float>(y));
        const double wx = m_mirrored ? target.left() + target.right() + 1 - at.x() : at.x();
        const double wy = at.y() + 4;
        const QRectF r(wx - (fm.horizontalAdvance(tag) + 8) / 2.0, wy, fm.horizontalAdvance(tag) + 8, fm.height() + 2);
        p.fillRect(r, handBacking(h.presence));
        p.setPen(handColor(arm, h.presence));
        p.drawText(r, Qt::AlignCenter, tag);
    }
    p.setFont(font());
}

void PreviewWidget::paintAudio(QPainter& p, const QRect& r) {
    const QFontMetrics fm(font());
    // Level meter on the left (dBFS, -60..0) with peak hold.
    const QRect meter(r.left() + 8, r.top() + 8, 18, r.height() - 16 - fm.height());
    p.fillRect(meter, QColor(20, 20, 20));
    auto yOf = [&](float db) { return meter.bottom() - static_cast<int>(std::clamp((db + 60.f) / 60.f, 0.f, 1.f) * meter.height()); };
    const int yr = yOf(m_rms_db);
    QLinearGradient g(meter.bottomLeft(), meter.topLeft());
    g.setColorAt(0.0, QColor(40, 180, 80));
    g.setColorAt(0.75, QColor(230, 200, 40));
    g.setColorAt(1.0, QColor(220, 50, 40));
    p.fillRect(QRect(QPoint(meter.left(), yr), meter.bottomRight()), g);
    p.setPen(QPen(Qt::white, 2));
    const int yp = yOf(m_peak_hold);
    p.drawLine(meter.left(), yp, meter.right(), yp);
    p.setPen(QColor(230, 232, 235));
    p.drawText(QRect(r.left(), meter.bottom() + 2, 60, fm.height()), Qt::AlignLeft,
               m_rms_db > -119 ? QString::number(static_cast<double>(m_rms_db), 'f', 0) + QStringLiteral(" dB") : QStringLiteral("— dB"));

    // Spectrogram: time left to right (newest right), low mel bands at the bottom; caption on top.
    p.setPen(QColor(230, 232, 235));
    p.drawText(QRect(meter.right() + 10, r.top() + 4, r.width(), fm.height()), Qt::AlignLeft,
               tr("log-mel spectrogram, last %1 s (time →, mel bands ↑)").arg(m_specCap / 100));
    const QRect sr(meter.right() + 10, r.top() + 8 + fm.height(), r.right() - meter.right() - 18, r.height() - 16 - 2 * fm.height());
    if (m_spec.empty() || sr.width() < 10) {
        p.drawText(sr, Qt::AlignCenter, tr("waiting for audio…"));
        return;
    }
    const int cols = static_cast<int>(m_spec.back().size());
    float lo = 1e30f, hi = -1e30f;
    for (const auto& f : m_spec)
        for (float v : f) {
            if (!std::isfinite(v)) continue;
            lo = std::min(lo, v);
            hi = std::max(hi, v);
        }
    if (!(hi > lo)) hi = lo + 1.0f;
    QImage img(m_specCap, cols, QImage::Format_RGB32);
    img.fill(qRgb(68, 1, 84));
    const int offset = m_specCap - static_cast<int>(m_spec.size());
    for (int x = 0; x < static_cast<int>(m_spec.size()); ++x) {
        const auto& f = m_spec[static_cast<std::size_t>(x)];
        for (int b = 0; b < cols && b < static_cast<int>(f.size()); ++b)
            img.setPixel(offset + x, cols - 1 - b, colormap((f[static_cast<std::size_t>(b)] - lo) / (hi - lo)));
    }
    p.drawImage(sr, img);
}

}  // namespace colive::ui
