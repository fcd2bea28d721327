// SPDX-License-Identifier: MIT
// Live preview: the video frame with the current top-1 label, or for audio a level meter and a
// scrolling log-mel spectrogram. Also shows a message when there is no source.
#pragma once

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
    void clear();

    int spectrogramColumns() const { return static_cast<int>(m_spec.size()); }
    bool hasFrame() const { return !m_frame.isNull(); }
    QSize minimumSizeHint() const override { return {240, 180}; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    void paintAudio(class QPainter& p, const QRect& r);

    Kind m_kind = Kind::None;
    QImage m_frame;
    QString m_label;
    QColor m_labelColor;
    double m_prob = 0.0;
    float m_rms_db = -120.f, m_peak_db = -120.f, m_peak_hold = -120.f;
    std::deque<std::vector<float>> m_spec;   // newest last
    int m_specCap = 400;                     // ~4 s at 10 ms per frame
    QString m_message;
};

}  // namespace colive::ui
