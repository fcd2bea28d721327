// SPDX-License-Identifier: MIT
// colive: the desktop app. See ui/main_window.h.
#include "main_window.h"
#include "sources/camera_source.h"
#include "sources/mic_source.h"
#include "version/version.h"

#include <QApplication>
#include <QCameraDevice>
#include <QCommandLineParser>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMediaDevices>
#include <QTimer>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool hasArg(int argc, char** argv, std::initializer_list<const char*> names) {
    for (int i = 1; i < argc; ++i)
        for (const char* n : names)
            if (std::strcmp(argv[i], n) == 0) return true;
    return false;
}

int listDevices() {
    std::printf("Cameras (Qt):\n");
    const auto cams = QMediaDevices::videoInputs();
    if (cams.isEmpty()) std::printf("  (none)\n");
    for (const auto& c : cams)
        std::printf("  %s  [%s]  -> --source camera:%s\n", qPrintable(c.description()), c.id().constData(), c.id().constData());
    std::printf("Cameras (V4L2):\n");
    const auto v4l = colive::list_cameras();
    if (v4l.empty()) std::printf("  (none)\n");
    for (const auto& c : v4l) std::printf("  %d  %s  %s\n", c.index, c.path.c_str(), c.name.c_str());
    std::printf("Microphones (PortAudio):\n");
    try {
        const auto mics = colive::list_audio_inputs();
        if (mics.empty()) std::printf("  (none)\n");
        for (const auto& m : mics)
            std::printf("  %s%s  (%s, %d ch, %.0f Hz)  -> --source \"mic:%s\"\n", m.name.c_str(), m.is_default ? " [default]" : "",
                        m.host_api.c_str(), m.max_input_channels, m.default_rate_hz, m.name.c_str());
    } catch (const std::exception& e) {
        std::printf("  (unavailable: %s)\n", e.what());
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    // --version like the other binaries, without starting Qt (no display, no platform plugin).
    if (argc == 2 && (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "-v") == 0)) {
        std::printf("%s\n", colive::version_line("colive").c_str());
        return 0;
    }
    const bool infoOnly = hasArg(argc, argv, {"-h", "--help", "--help-all", "-v", "--version", "--list-devices"});
    const bool shot = hasArg(argc, argv, {"--screenshot"});
    if (!std::getenv("QT_QPA_PLATFORM") && !std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY")) {
        if (infoOnly || shot) {
            qputenv("QT_QPA_PLATFORM", "offscreen");
        } else {
            std::fprintf(stderr, "colive: no display (DISPLAY/WAYLAND_DISPLAY unset); run under a desktop session, "
                                 "xvfb-run, or use colive-cli\n");
            return 1;
        }
    }
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("CoLive"));
    QApplication::setOrganizationDomain(QStringLiteral("colive.github.io"));
    QApplication::setApplicationName(QStringLiteral("colive"));
    QApplication::setApplicationDisplayName(QStringLiteral("CoLive"));
    // Also what QCommandLineParser prints for --version next to other options.
    QApplication::setApplicationVersion(QString::fromLatin1(colive::version()) + QStringLiteral(" (git ") +
                                        QString::fromLatin1(colive::git_revision()) + QLatin1Char(')'));
    QApplication::setDesktopFileName(QStringLiteral("io.github.colive.CoLive"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/colive/icon.png")));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "CoLive: Continual Transformers, live. Per-step action (video) or music-genre (audio) probabilities, "
        "regular vs continual inference side by side, with MACs and latency per step."));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption source(QStringLiteral("source"),
                              QStringLiteral("camera[:name|index] | mic[:name] | file:PATH | demo-video | demo-pose | demo-audio."), QStringLiteral("spec"));
    QCommandLineOption mode(QStringLiteral("mode"), QStringLiteral("regular | continual | both (default: last used, else both)."), QStringLiteral("mode"));
    QCommandLineOption model(QStringLiteral("model"), QStringLiteral("Model file (.safetensors); default: action for video, genre for audio."), QStringLiteral("path"));
    QCommandLineOption list(QStringLiteral("list-devices"), QStringLiteral("List cameras and microphones, then exit."));
    QCommandLineOption screenshot(QStringLiteral("screenshot"), QStringLiteral("Render, save a PNG of the window (and PATH.json with the displayed state), then quit."), QStringLiteral("path"));
    QCommandLineOption frames(QStringLiteral("frames"), QStringLiteral("With --screenshot: steps to process first (default 100)."), QStringLiteral("n"), QStringLiteral("100"));
    QCommandLineOption fast(QStringLiteral("fast"), QStringLiteral("Read files as fast as possible instead of in real time (tests)."));
    QCommandLineOption noSettings(QStringLiteral("no-settings"), QStringLiteral("Do not read or write remembered settings."));
    QCommandLineOption smoothing(QStringLiteral("smoothing"), QStringLiteral("Display smoothing time constant in seconds (0 = off)."), QStringLiteral("s"));
    QCommandLineOption mirror(QStringLiteral("mirror"),
                              QStringLiteral("Mirror the preview of cameras and of the pose model (selfie view): on | off "
                                             "(default: last used, else on). Display only; the model sees raw frames."),
                              QStringLiteral("on|off"));
    parser.addOptions({source, mode, model, list, screenshot, frames, fast, noSettings, smoothing, mirror});
    parser.addPositionalArgument(QStringLiteral("file"), QStringLiteral("Optional video or audio file to open (same as --source file:PATH)."), QStringLiteral("[file]"));
    parser.process(app);

    if (parser.isSet(list)) return listDevices();

    colive::ui::MainWindowOptions opts;
    opts.source = parser.value(source);
    if (opts.source.isEmpty() && !parser.positionalArguments().isEmpty())
        opts.source = QStringLiteral("file:") + parser.positionalArguments().first();
    opts.mode = parser.value(mode);
    opts.model = parser.value(model);
    opts.fast = parser.isSet(fast);
    opts.persistSettings = !parser.isSet(noSettings) && !parser.isSet(screenshot);
    if (!opts.mode.isEmpty() && opts.mode != QLatin1String("regular") && opts.mode != QLatin1String("continual") &&
        opts.mode != QLatin1String("both")) {
        std::fprintf(stderr, "colive: unknown --mode '%s' (regular, continual or both)\n", qPrintable(opts.mode));
        return 2;
    }
    if (!opts.model.isEmpty() && !QFileInfo::exists(opts.model) && !opts.model.endsWith(QStringLiteral("action")) &&
        !opts.model.endsWith(QStringLiteral("action-pose")) && !opts.model.endsWith(QStringLiteral("genre"))) {
        std::fprintf(stderr, "colive: model file not found: %s\n", qPrintable(opts.model));
        return 2;
    }
    if (parser.isSet(mirror)) {
        const QString m = parser.value(mirror);
        if (m != QLatin1String("on") && m != QLatin1String("off")) {
            std::fprintf(stderr, "colive: --mirror takes on or off, not '%s'\n", qPrintable(m));
            return 2;
        }
        opts.mirror = m == QLatin1String("on") ? 1 : 0;
    }
    bool framesOk = false;
    const int nFrames = parser.value(frames).toInt(&framesOk);
    if (!framesOk || nFrames < 0) {
        std::fprintf(stderr, "colive: --frames needs a non-negative number\n");
        return 2;
    }

    colive::ui::MainWindow w(opts);
    if (parser.isSet(smoothing)) w.setSmoothing(parser.value(smoothing).toDouble());
    w.show();

    if (parser.isSet(screenshot)) {
        const QString path = parser.value(screenshot);
        auto* poll = new QTimer(&w);
        auto* clock = new QElapsedTimer;
        clock->start();
        QObject::connect(poll, &QTimer::timeout, &w, [&w, poll, clock, path, nFrames] {
            const auto st = w.pipelineState();
            const bool finished = st == colive::PipelineState::Error || st == colive::PipelineState::Ended;
            const bool timeUp = clock->elapsed() > 120000;
            if (w.stepsShown() < nFrames && !finished && !timeUp) return;
            poll->stop();
            w.tick();
            w.setDisplayFrozen(true);   // the picture stops here; the pipeline keeps running
            // Let the window draw the final state, then grab it.
            QTimer::singleShot(300, &w, [&w, path, clock] {
                const QJsonObject state = w.displayedState();   // before the "saved" status message
                const QString status = w.statusText();
                const bool ok = w.saveScreenshotTo(path);
                QFile f(path + QStringLiteral(".json"));
                if (f.open(QIODevice::WriteOnly)) f.write(QJsonDocument(state).toJson());
                std::fprintf(stderr, "colive: %s %s after %d steps (%s)\n", ok ? "saved" : "FAILED to save", qPrintable(path),
                             w.stepsShown(), qPrintable(status));
                delete clock;
                QApplication::exit(ok ? 0 : 1);
            });
        });
        poll->start(50);
    }
    return app.exec();
}
