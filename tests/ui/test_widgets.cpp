// SPDX-License-Identifier: MIT
// Widgets take plain data: check what they show, as text and as pixels.
#include "class_colors.h"
#include "counters_panel.h"
#include "preview_widget.h"
#include "probability_plot.h"
#include "top_k_bars.h"

#include <QImage>
#include <QtTest>

#include <cmath>
#include <utility>

using namespace colive::ui;

namespace {
// Fraction of pixels within a small distance of `c`.
double colourShare(const QImage& img, QColor c) {
    const QImage im = img.convertToFormat(QImage::Format_RGB32);
    long hits = 0;
    for (int y = 0; y < im.height(); ++y)
        for (int x = 0; x < im.width(); ++x) {
            const QColor p = QColor::fromRgb(im.pixel(x, y));
            if (std::abs(p.red() - c.red()) + std::abs(p.green() - c.green()) + std::abs(p.blue() - c.blue()) < 30) ++hits;
        }
    return static_cast<double>(hits) / (im.width() * im.height());
}
QImage render(QWidget& w, QSize s) {
    w.resize(s);
    w.ensurePolished();
    return w.grab().toImage();
}
}  // namespace

class TestWidgets : public QObject {
    Q_OBJECT
private slots:
    void formatting() {
        QCOMPARE(formatCount(605.7e6), QStringLiteral("605.7 M"));
        QCOMPARE(formatCount(9.6e3), QStringLiteral("9.6 k"));
        QCOMPARE(formatCount(2.5e9), QStringLiteral("2.50 G"));
        QCOMPARE(formatCount(12), QStringLiteral("12"));
        QCOMPARE(formatMs(41.23), QStringLiteral("41.2"));
        QCOMPARE(formatMs(0.91), QStringLiteral("0.910"));
        QCOMPARE(formatRatio(63.09), QStringLiteral("63×"));
        QCOMPARE(formatRatio(2.46), QStringLiteral("2.5×"));
    }

    void classColoursAreFixedAndDistinct() {
        QCOMPARE(classColor(3), classColor(3));
        for (int i = 0; i < 10; ++i)
            for (int j = i + 1; j < 10; ++j) QVERIFY(classColor(i) != classColor(j));
    }

    void plotDrawsEachClassInItsColour() {
        ProbabilityPlot plot;
        plot.setClasses({QStringLiteral("a"), QStringLiteral("b")});
        plot.setTitle(QStringLiteral("Continual"));
        std::vector<PlotPoint> pts;
        for (int i = 0; i < 100; ++i) pts.push_back({i * 0.1, {0.9f, 0.1f}, false});
        plot.setPoints(pts);
        QCOMPARE(plot.pointCount(), 100);
        const QImage img = render(plot, {500, 240});
        QVERIFY2(colourShare(img, classColor(0)) > 0.002, "class 0 line missing");
        QVERIFY2(colourShare(img, classColor(1)) > 0.002, "class 1 line missing");
        QVERIFY(colourShare(img, classColor(2)) < 0.0005);
    }

    void plotGreysWarmup() {
        ProbabilityPlot plot;
        plot.setClasses({QStringLiteral("a")});
        std::vector<PlotPoint> warm, cold;
        for (int i = 0; i < 50; ++i) warm.push_back({i * 0.1, {0.5f}, true});
        for (int i = 0; i < 50; ++i) cold.push_back({i * 0.1, {0.5f}, false});
        plot.setPoints(warm);
        plot.setWarmup(5, 64);
        const double warmShare = colourShare(render(plot, {400, 200}), classColor(0));
        plot.setPoints(cold);
        plot.setWarmup(64, 64);
        const double coldShare = colourShare(render(plot, {400, 200}), classColor(0));
        QVERIFY2(coldShare > 2 * warmShare, qPrintable(QStringLiteral("%1 vs %2").arg(coldShare).arg(warmShare)));
    }

    void topKOrderAndLimit() {
        TopKBars bars;
        bars.setClasses({QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c"), QStringLiteral("d")});
        bars.setK(3);
        bars.setProbabilities({0.1f, 0.4f, 0.3f, 0.2f}, false);
        const auto top = bars.topK();
        QCOMPARE(static_cast<int>(top.size()), 3);
        QCOMPARE(top[0].first, 1);
        QCOMPARE(top[1].first, 2);
        QCOMPARE(top[2].first, 3);
        const QImage img = render(bars, {400, 150});
        QVERIFY(colourShare(img, classColor(1)) > colourShare(img, classColor(3)));
        QVERIFY(colourShare(img, classColor(0)) < 0.0005);   // not in the top 3
    }

    void countersSpellOutTheGap() {
        CountersPanel panel;
        CountersData d;
        d.mode[0] = {true, 605'700'000, 41.2, 44.0, {40, 41, 44}};
        d.mode[1] = {true, 9'600'000, 0.9, 1.1, {0.9f, 1.0f}};
        d.tokens_per_s = 10;
        d.tokens = 300;
        d.max_abs_diff = 3e-7;
        d.warm_k = 64;
        d.warm_n = 64;
        panel.setData(d);
        QCOMPARE(panel.macsText(0), QStringLiteral("Regular 605.7 M"));
        QCOMPARE(panel.macsText(1), QStringLiteral("Continual 9.6 M"));
        QCOMPARE(panel.macsRatioText(), QStringLiteral("63× fewer"));
        QCOMPARE(panel.latencyText(0), QStringLiteral("Regular 41.2 / 44.0 ms"));
        QCOMPARE(panel.latencyRatioText(), QStringLiteral("46× faster"));
        QVERIFY(panel.statsText().contains(QStringLiteral("max |Regular − Continual| 3e-07")));
        QVERIFY(panel.statsText().contains(QStringLiteral("warm-up 64/64")));
        QVERIFY(panel.findChild<QLabel*>(QStringLiteral("macsRatio"))->text().contains(QStringLiteral("63")));
    }

    void countersInSingleModeStillShowTheOtherCost() {
        CountersPanel panel;
        CountersData d;
        d.mode[0] = {false, 1000, -1, -1, {}};
        d.mode[1] = {true, 100, 0.5, 0.7, {}};
        panel.setData(d);
        QCOMPARE(panel.macsText(0), QStringLiteral("Regular 1.0 k (not running)"));
        QCOMPARE(panel.macsRatioText(), QStringLiteral("10× fewer"));
        QVERIFY(panel.latencyText(0).contains(QStringLiteral("not running")));
        QVERIFY(panel.latencyRatioText().startsWith(QStringLiteral("—")));
        QVERIFY(panel.statsText().contains(QStringLiteral("max |Regular − Continual| —")));
    }

    void previewVideoAndSpectrogram() {
        PreviewWidget p;
        p.setKind(PreviewWidget::Kind::Video);
        QImage f(64, 48, QImage::Format_RGB32);
        f.fill(QColor(10, 200, 10));
        p.setFrame(f);
        p.setLabel(QStringLiteral("wave"), classColor(2), 0.8);
        QVERIFY(p.hasFrame());
        QVERIFY(colourShare(render(p, {320, 240}), QColor(10, 200, 10)) > 0.2);
        p.setKind(PreviewWidget::Kind::Audio);
        QVERIFY(!p.hasFrame());
        std::vector<float> frames(96 * 64, 1.0f);
        for (int i = 0; i < 10; ++i) p.appendSpectrogram(frames, 96, 64);
        QCOMPARE(p.spectrogramColumns(), 400);   // bounded
        p.setLevel(-20.f, -6.f);
        QVERIFY(!render(p, {320, 240}).isNull());
    }

    // The skeleton is drawn where the keypoints are in the picture, mirrored with it (selfie view);
    // keypoints with low scores fade out; nobody in view is said on the picture.
    void previewSkeletonFollowsTheMirroredPicture() {
        PreviewWidget p;
        p.setKind(PreviewWidget::Kind::Video);
        QImage f(64, 48, QImage::Format_RGB32);
        f.fill(QColor(40, 40, 40));
        for (int y = 0; y < 48; ++y)
            for (int x = 0; x < 16; ++x) f.setPixel(x, y, qRgb(200, 30, 200));   // a magenta band on the image left
        p.setFrame(f);
        colive::PoseFrame pose;
        pose.width = 640;   // keypoints in pixels of the analysed frame (10x the preview here)
        pose.height = 480;
        pose.present = true;
        pose.kp[9] = {80.f, 240.f, 0.95f};   // the person's left wrist, inside the band
        p.setPose(pose);
        QCOMPARE(p.poseKeypointsDrawn(), 1);
        const QColor left(255, 170, 40);      // the person's left side is drawn orange
        // Where the orange dot is: mean x of its pixels, in a 320x240 widget (the picture fills it).
        auto dotX = [&](const QImage& img) {
            const QImage im = img.convertToFormat(QImage::Format_RGB32);
            double sx = 0;
            int n = 0;
            for (int y = 0; y < im.height(); ++y)
                for (int x = 0; x < im.width(); ++x) {
                    const QColor c = QColor::fromRgb(im.pixel(x, y));
                    if (std::abs(c.red() - left.red()) + std::abs(c.green() - left.green()) + std::abs(c.blue() - left.blue()) < 40) {
                        sx += x;
                        ++n;
                    }
                }
            return n >= 3 ? sx / n : -1.0;
        };
        auto bandOnLeft = [](const QImage& img) {
            const QColor l = img.pixelColor(20, 120), r = img.pixelColor(300, 120);
            return l.blue() > 150 && r.blue() < 100;
        };
        const QImage plain = render(p, {320, 240});
        QVERIFY(bandOnLeft(plain));
        QVERIFY(std::abs(dotX(plain) - 40.0) < 6.0);
        p.setMirrored(true);
        QVERIFY(p.mirrored());
        const QImage mirrored = render(p, {320, 240});
        QVERIFY(!bandOnLeft(mirrored));
        QVERIFY(mirrored.pixelColor(300, 120).blue() > 150);   // the band moved to the right ...
        QVERIFY(std::abs(dotX(mirrored) - 280.0) < 6.0);       // ... and the wrist with it
        // A keypoint the network is unsure of is not drawn; nobody in view draws nothing but the badge.
        pose.kp[9].score = 0.05f;
        p.setPose(pose);
        QCOMPARE(p.poseKeypointsDrawn(), 0);
        QCOMPARE(dotX(render(p, {320, 240})), -1.0);
        pose.kp[9].score = 0.95f;
        pose.present = false;
        p.setPose(pose);
        QCOMPARE(p.poseKeypointsDrawn(), 0);
        QCOMPARE(dotX(render(p, {320, 240})), -1.0);
        p.clearPose();
        QVERIFY(!p.hasPose());
    }

    // The hand landmarks (pose-kp-v3/-v4 models) are drawn where they are in the picture, in the arm's
    // side colour (the person's right blue, left orange), mirrored with the picture, faded by the hand's
    // presence score; a hand not found, or nobody in view, draws nothing.
    void previewHandsFollowTheMirroredPicture() {
        PreviewWidget p;
        p.setKind(PreviewWidget::Kind::Video);
        QImage f(64, 48, QImage::Format_RGB32);
        f.fill(QColor(40, 40, 40));
        p.setFrame(f);
        colive::PoseFrame pose;   // a person whose body keypoints are all too unsure to be drawn
        pose.width = 640;
        pose.height = 480;
        pose.present = true;
        p.setPose(pose);
        QCOMPARE(p.poseKeypointsDrawn(), 0);
        // an upright right hand on the image right: wrist (480, 330), fingers fanned upwards (frame pixels)
        colive::HandFrames hands{};
        colive::HandFrame& h = hands[1];
        h.present = true;
        h.presence = 0.97f;
        h.wrist = 10;
        h.source = colive::HandCropSource::track;
        h.lm[0] = {480.f, 330.f, 0.f};
        for (int finger = 0; finger < 5; ++finger) {
            const double a = (-50.0 + 25.0 * finger) * M_PI / 180.0;
            for (int j = 0; j < 4; ++j) {
                const double r = 30.0 + 22.0 * j;
                h.lm[static_cast<std::size_t>(1 + 4 * finger + j)] = {static_cast<float>(480.0 + r * std::sin(a)),
                                                                      static_cast<float>(330.0 - r * std::cos(a)), 0.f};
            }
        }
        hands[0] = h;               // the left arm's crop found nothing: its landmarks must not be drawn
        hands[0].present = false;
        hands[0].wrist = 9;
        for (auto& l : hands[0].lm) l.x -= 300.f;
        QVERIFY(!p.hasHands());
        QCOMPARE(p.handLandmarksDrawn(), 0);
        p.setHands(hands);
        QVERIFY(p.hasHands());
        QCOMPARE(p.handLandmarksDrawn(), 21);
        const QColor right(40, 200, 255), left(255, 170, 40);
        // the 320x240 widget shows the picture at half the frame's pixels; mirrored, x -> 320 - x
        // a pixel of c's hue within 2 px (blue: blue well over red; orange: red well over blue; the picture is grey)
        auto near = [](const QImage& img, double x, double y, QColor c) {
            const bool blue = c.blue() > c.red();
            for (int dy = -2; dy <= 2; ++dy)
                for (int dx = -2; dx <= 2; ++dx) {
                    const QColor q = img.pixelColor(static_cast<int>(x) + dx, static_cast<int>(y) + dy);
                    if ((blue ? q.blue() - q.red() : q.red() - q.blue()) > 60) return true;
                }
            return false;
        };
        auto landmarksAt = [&](const QImage& img, const colive::HandFrame& hf, bool mirrored, QColor c) {
            int n = 0;
            for (const auto& l : hf.lm) n += near(img, mirrored ? 320.0 - l.x / 2.0 : l.x / 2.0, l.y / 2.0, c) ? 1 : 0;
            return n;
        };
        const QImage plain = render(p, {320, 240}).convertToFormat(QImage::Format_RGB32);
        QCOMPARE(landmarksAt(plain, h, false, right), 21);
        QCOMPARE(landmarksAt(plain, h, true, right), 0);
        QCOMPARE(landmarksAt(plain, hands[0], false, right) + landmarksAt(plain, hands[0], false, left), 0);
        QCOMPARE(colourShare(plain, left), 0.0);
        p.setMirrored(true);
        const QImage mirrored = render(p, {320, 240}).convertToFormat(QImage::Format_RGB32);
        QCOMPARE(landmarksAt(mirrored, h, true, right), 21);
        QCOMPARE(landmarksAt(mirrored, h, false, right), 0);
        p.setMirrored(false);
        // the same hand as the person's LEFT arm's is orange
        std::swap(hands[0], hands[1]);
        p.setHands(hands);
        QCOMPARE(p.handLandmarksDrawn(), 21);
        const QImage asLeft = render(p, {320, 240}).convertToFormat(QImage::Format_RGB32);
        QCOMPARE(landmarksAt(asLeft, hands[0], false, left), 21);
        QCOMPARE(landmarksAt(asLeft, hands[0], false, right), 0);
        // a hand the network is less sure of is fainter: less of its colour over the grey picture
        const double sure = colourShare(asLeft, left);
        hands[0].presence = 0.55f;
        p.setHands(hands);
        const QImage faint = render(p, {320, 240}).convertToFormat(QImage::Format_RGB32);
        QVERIFY(sure > 0.002);
        QVERIFY(colourShare(faint, left) < 0.5 * sure);
        // no hand found, nobody in view, cleared: nothing
        hands[0].presence = 0.97f;
        hands[0].present = false;
        p.setHands(hands);
        QCOMPARE(p.handLandmarksDrawn(), 0);
        QCOMPARE(landmarksAt(render(p, {320, 240}).convertToFormat(QImage::Format_RGB32), hands[0], false, left), 0);
        hands[0].present = true;
        p.setHands(hands);
        pose.present = false;
        p.setPose(pose);
        QCOMPARE(p.handLandmarksDrawn(), 0);
        QCOMPARE(landmarksAt(render(p, {320, 240}).convertToFormat(QImage::Format_RGB32), hands[0], false, left), 0);
        pose.present = true;
        p.setPose(pose);
        QCOMPARE(p.handLandmarksDrawn(), 21);
        p.clearHands();
        QVERIFY(!p.hasHands());
        QCOMPARE(p.handLandmarksDrawn(), 0);
    }
};

QTEST_MAIN(TestWidgets)
#include "test_widgets.moc"
