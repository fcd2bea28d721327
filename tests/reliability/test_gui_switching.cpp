// SPDX-License-Identifier: MIT
// The GUI harness (the real MainWindow, offscreen) switching sources 200 times in a row, the way
// a user clicking through the source combo does: video file, audio file, a camera that fails, a
// missing file, in all three modes. Afterwards: no extra thread (/proc/self/task), no extra file
// descriptor (/proc/self/fd), resident memory within a small bound, the window still plays, and
// a watchdog turns any deadlock into a failure.
#include "main_window.h"
#include "rel_util.h"
#include "watchdog.h"

#include "colive/features.h"

#include <QStandardPaths>
#include <QtTest>

using namespace colive;
using namespace colive::ui;

class TestGuiSwitching : public QObject {
    Q_OBJECT
    std::unique_ptr<rel::TempDir> m_dir;
    QString m_video, m_audio, m_grey;

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        m_dir = std::make_unique<rel::TempDir>();
        rel::write_video(*m_dir / "v.avi", 60, 120, 90, 25.0);
        rel::write_video(*m_dir / "grey.avi", 40, 33, 17, 25.0, false);
        rel::write_wav(*m_dir / "a.wav", 44100, 2, 3.0);
        // The window picks the model by modality from the data directory (models/action and
        // models/genre); point it at small test models so video <-> audio switches both play.
        std::filesystem::create_directories(*m_dir / "data" / "models");
        rel::write_model(*m_dir / "data" / "models" / "action.safetensors", VideoFeatures().dim(), "video", 10.0, 8, 4);
        rel::write_model(*m_dir / "data" / "models" / "genre.safetensors", AudioFeatures().dim(), "audio", 4.0, 8, 3);
        qputenv("COLIVE_DATA_DIR", QByteArray::fromStdString((*m_dir / "data").string()));
        auto q = [](const std::filesystem::path& p) { return QString::fromStdString(p.string()); };
        m_video = QStringLiteral("file:") + q(*m_dir / "v.avi");
        m_grey = QStringLiteral("file:") + q(*m_dir / "grey.avi");
        m_audio = QStringLiteral("file:") + q(*m_dir / "a.wav");
    }

    void cleanupTestCase() { m_dir.reset(); }

    void twoHundredSwitchesLeakNothing() {
        rel::Watchdog dog(std::chrono::seconds(300), "GUI: 200 source switches");
        MainWindowOptions o;
        o.source = m_video;
        o.mode = QStringLiteral("both");
        o.model = QString();   // by modality
        o.persistSettings = false;
        o.listMicrophones = false;
        MainWindow w(o);
        w.show();
        QTRY_VERIFY_WITH_TIMEOUT(w.stepsShown() >= 3, 20000);
        const QString steps[] = {m_video, m_audio, m_grey, QStringLiteral("camera:/dev/null"), m_audio,
                                 QStringLiteral("file:/nonexistent/clip.mp4")};
        const RunMode modes[3] = {RunMode::Regular, RunMode::Continual, RunMode::Both};
        auto switch_to = [&](int i) {
            w.startSource(steps[std::size_t(i) % std::size(steps)]);
            if (i % 5 == 0) w.setRunMode(modes[std::size_t(i / 5) % 3]);
        };
        // warm-up: every kind once, then settle
        for (int i = 0; i < int(std::size(steps)); ++i) {
            switch_to(i);
            QTest::qWait(300);
        }
        w.pipeline().stop();
        QTRY_VERIFY_WITH_TIMEOUT(w.pipeline().live_threads() == 0, 30000);
        // live_threads() reaches 0 when the session's threads leave their loops; the control thread
        // then joins them and closes the source (the file's descriptor): wait for that too before
        // counting (under ThreadSanitizer the close took longer than the wait below).
        w.pipeline().wait_finished(std::chrono::seconds(30));
        QTest::qWait(200);
        const int threads0 = rel::thread_count(), fds0 = rel::fd_count();
        const std::string names0 = rel::thread_names(), fdn0 = rel::fd_targets();
        const long rss0 = rel::rss_kb();

        int played = 0;
        for (int i = 0; i < 200; ++i) {
            dog.stage("switch " + std::to_string(i));
            switch_to(i);
            if (i % 10 == 0) {
                // let it play (or fail) and the window update
                const bool ok = QTest::qWaitFor(
                    [&] { return w.pipelineState() == PipelineState::Error || w.pipeline().snapshot().tokens >= 2; }, 20000);
                QVERIFY2(ok, qPrintable(QStringLiteral("switch %1: no output and no error").arg(i)));
                played += w.pipelineState() != PipelineState::Error;
            } else {
                QTest::qWait(i % 3);   // events and UI ticks between clicks
            }
        }
        dog.stage("stop");
        w.pipeline().stop();
        QTRY_VERIFY_WITH_TIMEOUT(w.pipeline().live_threads() == 0, 30000);
        // live_threads() reaches 0 when the session's threads leave their loops; the control thread
        // then joins them and closes the source (the file's descriptor): wait for that too before
        // counting (under ThreadSanitizer the close took longer than the wait below).
        w.pipeline().wait_finished(std::chrono::seconds(30));
        QTest::qWait(300);
        const int threads1 = rel::thread_count(), fds1 = rel::fd_count();
        const long rss1 = rel::rss_kb();
        std::printf("[ gui    ] 200 switches (%d sessions waited for played): threads %d -> %d, fds %d -> %d, RSS %ld -> %ld kB\n",
                    played, threads0, threads1, fds0, fds1, rss0, rss1);
        QVERIFY(played >= 5);
        if (threads1 != threads0 || fds1 != fds0)   // which thread or file came or went
            std::printf("threads before: %s\nthreads after:  %s\nfds before: %s\nfds after:  %s\n", names0.c_str(),
                        rel::thread_names().c_str(), fdn0.c_str(), rel::fd_targets().c_str());
        QCOMPARE(threads1, threads0);
        QCOMPARE(fds1, fds0);
        if (!rel::under_sanitizer()) QVERIFY2(rss1 - rss0 < 30 * 1024, "RSS grew by more than 30 MiB");

        dog.stage("still works");
        w.startSource(m_video);
        QTRY_VERIFY_WITH_TIMEOUT(w.pipeline().snapshot().tokens >= 3, 20000);
        w.pipeline().stop();
        QTRY_VERIFY_WITH_TIMEOUT(w.pipeline().live_threads() == 0, 30000);
    }
};

QTEST_MAIN(TestGuiSwitching)
#include "test_gui_switching.moc"
