// SPDX-License-Identifier: MIT
// Live preview: the video frame with the current top-1 label, or for audio a level meter and a
// scrolling log-mel spectrogram. Also shows a message when there is no source.
// With the pose model, the body keypoints are drawn over the frame (bones between them, faded by
// their scores, so what the model sees is visible), and with pose-kp-v3/-v4 models the hand landmarks
// the model was given (21 per hand, bones in the arm's side colour, faded by the hand's presence score,
// with a small tag saying how the hand was found). The frame can be shown mirrored (selfie view):
// only the picture and the skeleton drawn on it are flipped, never what the features see.
#pragma once

#include "colive/hand.h"
#include "colive/pose.h"

#include <QColor>
#include <QImage>
#include <QWidget>

#include <deque>
#include <vector>

namespace colive::ui {

class PreviewWidget : public QWidget {
    Q_OBJECT
public:
    enum class Kind { None, Video, Audio };
    explicit PreviewWidget(QWidget* parent = nullptr);

    void setKind(Kind k);
    Kind kind() const { return m_kind; }
    void setFrame(const QImage& frame);
    void setLabel(const QString& label, QColor color, double prob);   // top-1 overlay
    void setLevel(float rms_db, float peak_db);
    // Appends spectrogram columns: `rows` frames of `cols` mel bands (row-major, oldest first).
    void appendSpectrogram(const std::vector<float>& frames, int rows, int cols);
    void setMessage(const QString& msg);        // shown when there is nothing to preview
    // Keypoints in pixels of a pose.width x pose.height frame (any size: scaled to the shown frame);
    // nobody = a pose frame was analysed and nobody was in it (a badge says so).
    void setPose(const colive::PoseFrame& pose);
    void clearPose();
    void setMirrored(bool mirrored);
    bool mirrored() const { return m_mirrored; }
    bool hasPose() const { return m_hasPose; }
    int poseKeypointsDrawn() const;             // keypoints opaque enough to be drawn
    // Hand landmarks in the same pixels as setPose()'s keypoints ([0] the person's left arm, [1] the
    // right); drawn only with a pose whose person is present, and only the hands with present = true.
    void setHands(const colive::HandFrames& hands);
    void clearHands();
    bool hasHands() const { return m_hasHands; }
    int handLandmarksDrawn() const;             // landmarks drawn (21 per hand found)
    void clear();

    int spectrogramColumns() const { return static_cast<int>(m_spec.size()); }
    bool hasFrame() const { return !m_frame.isNull(); }
    QSize minimumSizeHint() const override { return {240, 180}; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    void paintAudio(class QPainter& p, const QRect& r);
    void paintPose(class QPainter& p, const QRect& target);
    void paintHands(class QPainter& p, const QRect& target);
    void paintHandTags(class QPainter& p, const QRect& target);   // unmirrored text, placed by the mirror rule
    bool handDrawn(std::size_t arm) const;
    // A point in pixels of the analysed (pose.width x pose.height) frame -> the widget's, unmirrored.
    QPointF framePoint(const QRect& target, float x, float y) const;

    Kind m_kind = Kind::None;
    QImage m_frame;
    QString m_label;
    QColor m_labelColor;
    double m_prob = 0.0;
    float m_rms_db = -120.f, m_peak_db = -120.f, m_peak_hold = -120.f;
    std::deque<std::vector<float>> m_spec;   // newest last
    int m_specCap = 400;                     // ~4 s at 10 ms per frame
    QString m_message;
    colive::PoseFrame m_pose;
    bool m_hasPose = false;
    colive::HandFrames m_hands{};
    bool m_hasHands = false;
    bool m_mirrored = false;
};

}  // namespace colive::ui
