// SPDX-License-Identifier: MIT
#include "main_window.h"

#include "class_colors.h"
#include "counters_panel.h"
#include "pipeline/export.h"
#include "preview_widget.h"
#include "probability_plot.h"
#include "sources/mic_source.h"
#include "sources/resource_paths.h"
#include "top_k_bars.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCameraDevice>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QMediaDevices>
#include <QSettings>
#include <QShortcut>
#include <QSplitter>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>

namespace colive::ui {

namespace {
constexpr int kMaxHistory = 36000;           // one hour at 10 tokens/s
constexpr double kPlotSpan = 20.0;
const char* kOpenFile = "__open_file__";

QImage toQImage(const cv::Mat& m) {
    if (m.empty()) return {};
    if (m.type() == CV_8UC3)
        return QImage(m.data, m.cols, m.rows, static_cast<qsizetype>(m.step), QImage::Format_BGR888).copy();
    if (m.type() == CV_8UC1)
        return QImage(m.data, m.cols, m.rows, static_cast<qsizetype>(m.step), QImage::Format_Grayscale8).copy();
    if (m.type() == CV_8UC4)
        return QImage(m.data, m.cols, m.rows, static_cast<qsizetype>(m.step), QImage::Format_ARGB32).copy();
    cv::Mat c;
    m.convertTo(c, CV_8U, m.depth() == CV_16U ? 1.0 / 256.0 : 1.0);
    if (c.channels() == 3)
        return QImage(c.data, c.cols, c.rows, static_cast<qsizetype>(c.step), QImage::Format_BGR888).copy();
    if (c.channels() == 1)
        return QImage(c.data, c.cols, c.rows, static_cast<qsizetype>(c.step), QImage::Format_Grayscale8).copy();
    return {};
}

QString modeName(RunMode m) {
    switch (m) {
        case RunMode::Regular: return QObject::tr("Regular");
        case RunMode::Continual: return QObject::tr("Continual");
        case RunMode::Both: return QObject::tr("Both");
    }
    return {};
}
}  // namespace

MainWindow::MainWindow(const MainWindowOptions& options, QWidget* parent)
    : QMainWindow(parent), m_opts(options), m_pipeline(std::make_unique<Pipeline>()) {
    setWindowTitle(tr("CoLive — Continual Transformers, live"));
    if (QFile::exists(QStringLiteral(":/colive/icon.png"))) setWindowIcon(QIcon(QStringLiteral(":/colive/icon.png")));
    buildUi();
    loadSettings();
    if (!m_opts.mode.isEmpty()) {
        try {
            m_mode = parse_run_mode(m_opts.mode.toStdString());
        } catch (const std::exception& e) {
            setStatus(QString::fromStdString(e.what()), true);
        }
    }
    m_modeAction[static_cast<int>(m_mode)]->setChecked(true);
    if (!m_opts.model.isEmpty()) m_modelPath = m_opts.model;
    if (m_opts.mirror >= 0) setMirrorPreview(m_opts.mirror == 1);

    refreshDevices();
    m_mediaDevices = new QMediaDevices(this);
    connect(m_mediaDevices, &QMediaDevices::videoInputsChanged, this, &MainWindow::refreshDevices);
    connect(m_mediaDevices, &QMediaDevices::audioInputsChanged, this, &MainWindow::refreshDevices);
    QString source = m_opts.source;
    if (source.isEmpty() && m_opts.persistSettings) source = QSettings().value(QStringLiteral("source")).toString();
    if (source.isEmpty()) {
        m_implicitSource = true;
        source = m_cameras.empty() ? QStringLiteral("demo-video") : m_cameras.front().spec;
    }
    m_timer = new QTimer(this);
    m_timer->setInterval(33);
    connect(m_timer, &QTimer::timeout, this, &MainWindow::tick);
    m_timer->start();
    startSource(source);
}

MainWindow::~MainWindow() {
    *m_alive = false;
    if (m_micThread.joinable()) m_micThread.join();
    m_pipeline.reset();   // joins the pipeline's threads
}

void MainWindow::buildUi() {
    auto* tb = addToolBar(tr("Main"));
    tb->setObjectName(QStringLiteral("mainToolbar"));
    tb->setMovable(false);
    tb->setToolButtonStyle(Qt::ToolButtonTextOnly);

    tb->addWidget(new QLabel(tr(" Source "), this));
    m_sourceCombo = new QComboBox(this);
    m_sourceCombo->setObjectName(QStringLiteral("sourceCombo"));
    m_sourceCombo->setMinimumContentsLength(22);
    m_sourceCombo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_sourceCombo->setToolTip(tr("Camera, microphone, file or bundled demo clip"));
    connect(m_sourceCombo, qOverload<int>(&QComboBox::activated), this, &MainWindow::onSourceActivated);
    tb->addWidget(m_sourceCombo);
    auto* refresh = tb->addAction(QStringLiteral("⟳"), this, &MainWindow::refreshDevices);
    refresh->setToolTip(tr("Refresh devices (F5)"));
    refresh->setShortcut(QKeySequence(Qt::Key_F5));
    auto* open = new QAction(tr("Open file…"), this);
    open->setShortcut(QKeySequence::Open);
    connect(open, &QAction::triggered, this, &MainWindow::openFile);
    addAction(open);
    m_loopAction = tb->addAction(tr("Loop"));
    m_loopAction->setCheckable(true);
    m_loopAction->setToolTip(tr("Loop files (demo clips always loop)"));
    connect(m_loopAction, &QAction::toggled, this, [this] {
        if (m_sourceSpec.startsWith(QStringLiteral("file:"))) restart();
    });
    m_mirrorAction = tb->addAction(tr("Mirror"));
    m_mirrorAction->setCheckable(true);
    m_mirrorAction->setChecked(m_mirror);
    m_mirrorAction->setToolTip(tr("Mirror the preview of cameras and of the pose model (selfie view); "
                                  "the model always sees the camera's own, unmirrored frames"));
    connect(m_mirrorAction, &QAction::toggled, this, &MainWindow::setMirrorPreview);
    tb->addSeparator();

    tb->addWidget(new QLabel(tr(" Mode "), this));
    m_modeGroup = new QActionGroup(this);
    m_modeGroup->setExclusive(true);
    const RunMode modes[3] = {RunMode::Regular, RunMode::Continual, RunMode::Both};
    const Qt::Key keys[3] = {Qt::Key_1, Qt::Key_2, Qt::Key_3};
    for (int i = 0; i < 3; ++i) {
        m_modeAction[i] = tb->addAction(modeName(modes[i]));
        m_modeAction[i]->setCheckable(true);
        m_modeAction[i]->setShortcut(QKeySequence(keys[i]));
        m_modeAction[i]->setToolTip(tr("%1 mode (%2)").arg(modeName(modes[i])).arg(i + 1));
        m_modeGroup->addAction(m_modeAction[i]);
        connect(m_modeAction[i], &QAction::triggered, this, [this, m = modes[i]] { setRunMode(m); });
    }
    tb->addSeparator();

    tb->addWidget(new QLabel(tr(" Model "), this));
    m_modelCombo = new QComboBox(this);
    m_modelCombo->setObjectName(QStringLiteral("modelCombo"));
    m_modelCombo->addItem(tr("Auto (pose / action / genre)"), QString());
    m_modelCombo->setToolTip(tr("Auto: the pose model for cameras and video files (the motion model when the "
                                "keypoint network is missing, and on the hands demo), genre for audio"));
    for (const char* n : {"action-pose", "action", "genre"}) {
        for (const auto& d : model_dirs()) {
            const auto p = d / (std::string(n) + ".safetensors");
            if (std::filesystem::exists(p)) {
                m_modelCombo->addItem(QString::fromLatin1(n), QString::fromStdString(p.string()));
                break;
            }
        }
    }
    m_modelCombo->addItem(tr("Other model…"), QStringLiteral("__other__"));
    connect(m_modelCombo, qOverload<int>(&QComboBox::activated), this, &MainWindow::onModelActivated);
    tb->addWidget(m_modelCombo);

    tb->addWidget(new QLabel(tr(" Smoothing "), this));
    m_smoothCombo = new QComboBox(this);
    m_smoothCombo->setObjectName(QStringLiteral("smoothCombo"));
    m_smoothCombo->setToolTip(tr("Exponential smoothing of the displayed probabilities (off: raw outputs, for comparison)"));
    for (double s : {0.0, 0.5, 1.0, 2.0})
        m_smoothCombo->addItem(s == 0.0 ? tr("Off") : tr("%1 s").arg(s), s);
    connect(m_smoothCombo, qOverload<int>(&QComboBox::activated), this,
            [this](int i) { setSmoothing(m_smoothCombo->itemData(i).toDouble()); });
    tb->addWidget(m_smoothCombo);
    tb->addSeparator();

    m_pauseAction = tb->addAction(tr("Pause"), this, &MainWindow::togglePause);
    m_pauseAction->setShortcut(QKeySequence(Qt::Key_Space));
    m_pauseAction->setToolTip(tr("Pause / resume (Space)"));
    auto* exp = tb->addAction(tr("● Export"), this, &MainWindow::exportPredictions);
    exp->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    exp->setToolTip(tr("Export predictions as CSV or JSON Lines (Ctrl+E)"));
    auto* shot = tb->addAction(tr("Screenshot"), this, &MainWindow::saveScreenshot);
    shot->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_S));
    shot->setToolTip(tr("Save a screenshot of the window (Ctrl+S)"));

    // Central area: preview | (plots / top-k), counters below.
    auto* central = new QWidget(this);
    auto* v = new QVBoxLayout(central);
    v->setContentsMargins(4, 4, 4, 4);
    auto* split = new QSplitter(Qt::Horizontal, central);
    m_preview = new PreviewWidget(split);
    m_preview->setObjectName(QStringLiteral("preview"));
    auto* right = new QWidget(split);
    auto* rv = new QVBoxLayout(right);
    rv->setContentsMargins(0, 0, 0, 0);
    auto* plots = new QWidget(right);
    auto* pv = new QVBoxLayout(plots);
    pv->setContentsMargins(0, 0, 0, 0);
    auto* bars = new QWidget(right);
    auto* bh = new QHBoxLayout(bars);
    bh->setContentsMargins(0, 0, 0, 0);
    for (int m = 0; m < 2; ++m) {
        m_plot[m] = new ProbabilityPlot(plots);
        m_plot[m]->setObjectName(m == 0 ? QStringLiteral("plotRegular") : QStringLiteral("plotContinual"));
        m_plot[m]->setTitle(m == 0 ? tr("Regular — whole window recomputed per token") : tr("Continual — redundancy-free, one new token per step"));
        m_plot[m]->setTimeSpan(kPlotSpan);
        pv->addWidget(m_plot[m], 1);
        m_bars[m] = new TopKBars(bars);
        m_bars[m]->setObjectName(m == 0 ? QStringLiteral("barsRegular") : QStringLiteral("barsContinual"));
        m_bars[m]->setTitle(m == 0 ? tr("Regular: top 5 now") : tr("Continual: top 5 now"));
        bh->addWidget(m_bars[m], 1);
    }
    rv->addWidget(plots, 3);
    rv->addWidget(bars, 1);
    split->addWidget(m_preview);
    split->addWidget(right);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    split->setSizes({460, 800});
    v->addWidget(split, 1);
    m_counters = new CountersPanel(central);
    m_counters->setObjectName(QStringLiteral("counters"));
    m_counters->setAutoFillBackground(true);
    v->addWidget(m_counters, 0);
    setCentralWidget(central);

    m_statusLabel = new QLabel(this);
    m_statusLabel->setObjectName(QStringLiteral("statusMessage"));
    m_stateLabel = new QLabel(this);
    statusBar()->addWidget(m_statusLabel, 1);
    statusBar()->addPermanentWidget(m_stateLabel);
    resize(1280, 800);
}

void MainWindow::loadSettings() {
    if (!m_opts.persistSettings) return;
    QSettings s;
    restoreGeometry(s.value(QStringLiteral("geometry")).toByteArray());
    const QString mode = s.value(QStringLiteral("mode"), QStringLiteral("both")).toString();
    try {
        m_mode = parse_run_mode(mode.toStdString());
    } catch (const std::exception&) {
        m_mode = RunMode::Both;
    }
    setSmoothing(s.value(QStringLiteral("smoothing"), 0.0).toDouble());
    m_recentFiles = s.value(QStringLiteral("recentFiles")).toStringList();
    m_loopAction->setChecked(s.value(QStringLiteral("loopFiles"), false).toBool());
    setMirrorPreview(s.value(QStringLiteral("mirrorPreview"), true).toBool());
    m_modelPath = s.value(QStringLiteral("model")).toString();
    const int mi = m_modelCombo->findData(m_modelPath);
    if (mi >= 0) m_modelCombo->setCurrentIndex(mi);
}

void MainWindow::saveSettings() {
    if (!m_opts.persistSettings) return;
    QSettings s;
    s.setValue(QStringLiteral("geometry"), saveGeometry());
    if (!m_implicitSource) s.setValue(QStringLiteral("source"), m_sourceSpec);
    s.setValue(QStringLiteral("mode"), QString::fromLatin1(to_string(m_mode)));
    s.setValue(QStringLiteral("smoothing"), m_smoothing);
    s.setValue(QStringLiteral("recentFiles"), m_recentFiles);
    s.setValue(QStringLiteral("loopFiles"), m_loopAction->isChecked());
    s.setValue(QStringLiteral("mirrorPreview"), m_mirror);
    s.setValue(QStringLiteral("model"), m_modelPath);
}

void MainWindow::closeEvent(QCloseEvent* e) {
    saveSettings();
    m_pipeline->stop();
    e->accept();
}

// ------------------------------------------------------------------------------------------------
void MainWindow::refreshDevices() {
    m_cameras.clear();
    const auto cams = QMediaDevices::videoInputs();
    for (const auto& c : cams) {
        const QString id = QString::fromUtf8(c.id());
        // On Linux Qt's id is the V4L2 node; OpenCV opens that path. Otherwise match by name.
        const QString spec = id.startsWith(QStringLiteral("/dev/video")) ? QStringLiteral("camera:") + id
                                                                         : QStringLiteral("camera:") + c.description();
        m_cameras.push_back({tr("Camera: %1").arg(c.description()), spec});
    }
    if (m_opts.listMicrophones && !m_micThread.joinable()) {
        m_micStatus = tr("searching…");
        auto alive = m_alive;
        QPointer<MainWindow> self(this);
        m_micThread = std::thread([this, alive] {
            QStringList names;
            QString status;
            try {
                for (const auto& d : list_audio_inputs())
                    names << QString::fromStdString(d.name) + QStringLiteral("\t") + QString::fromStdString(d.host_api);
            } catch (const std::exception& e) {
                status = QString::fromStdString(e.what());
            }
            if (!*alive) return;
            QMetaObject::invokeMethod(this, [this, names, status] {
                m_micNames = names;
                m_micStatus = status;
                if (m_micThread.joinable()) m_micThread.join();
                rebuildSourceCombo();
            }, Qt::QueuedConnection);
        });
    } else if (!m_opts.listMicrophones) {
        m_micStatus = tr("not listed");
    }
    rebuildSourceCombo();
}

void MainWindow::rebuildSourceCombo() {
    QSignalBlocker block(m_sourceCombo);
    m_sourceCombo->clear();
    m_sourceCombo->addItem(tr("Demo video"), QStringLiteral("demo-video"));
    if (find_demo_clip_named("demo-pose")) m_sourceCombo->addItem(tr("Demo person (pose)"), QStringLiteral("demo-pose"));
    m_sourceCombo->addItem(tr("Demo audio"), QStringLiteral("demo-audio"));
    m_sourceCombo->insertSeparator(m_sourceCombo->count());
    if (m_cameras.empty()) {
        m_sourceCombo->addItem(tr("No camera found"), QString());
    }
    for (const auto& c : m_cameras) m_sourceCombo->addItem(c.label, c.spec);
    if (m_micNames.isEmpty()) {
        m_sourceCombo->addItem(m_micStatus.isEmpty() ? tr("No microphone found") : tr("Microphones: %1").arg(m_micStatus), QString());
    }
    for (const auto& n : m_micNames) {
        const QString name = n.section(QLatin1Char('\t'), 0, 0);
        const QString api = n.section(QLatin1Char('\t'), 1);
        m_sourceCombo->addItem(tr("Microphone: %1 (%2)").arg(name, api), QStringLiteral("mic:") + name);
    }
    m_sourceCombo->insertSeparator(m_sourceCombo->count());
    for (const auto& f : m_recentFiles)
        m_sourceCombo->addItem(tr("File: %1").arg(QFileInfo(f).fileName()), QStringLiteral("file:") + f);
    m_sourceCombo->addItem(tr("Open file…"), QString::fromLatin1(kOpenFile));
    // Items without a spec are informative only.
    for (int i = 0; i < m_sourceCombo->count(); ++i) {
        if (m_sourceCombo->itemData(i).toString().isEmpty() && !m_sourceCombo->itemText(i).isEmpty()) {
            if (auto* model = qobject_cast<QStandardItemModel*>(m_sourceCombo->model()))
                if (auto* item = model->item(i)) item->setEnabled(false);
        }
    }
    int idx = m_sourceCombo->findData(m_sourceSpec);
    if (idx < 0 && !m_sourceSpec.isEmpty()) {
        const QString label = m_sourceSpec.startsWith(QStringLiteral("file:"))
                                  ? tr("File: %1").arg(QFileInfo(m_sourceSpec.mid(5)).fileName())
                                  : m_sourceSpec;
        m_sourceCombo->addItem(label, m_sourceSpec);
        idx = m_sourceCombo->count() - 1;
    }
    if (idx >= 0) m_sourceCombo->setCurrentIndex(idx);
}

void MainWindow::onSourceActivated(int index) {
    const QString spec = m_sourceCombo->itemData(index).toString();
    if (spec == QLatin1String(kOpenFile)) {
        openFile();
        return;
    }
    if (spec.isEmpty()) return;
    m_implicitSource = false;
    startSource(spec);
}

void MainWindow::onModelActivated(int index) {
    QString path = m_modelCombo->itemData(index).toString();
    if (path == QLatin1String("__other__")) {
        path = QFileDialog::getOpenFileName(this, tr("Open model"), QString(), tr("Models (*.safetensors)"));
        if (path.isEmpty()) {
            const int i = m_modelCombo->findData(m_modelPath);
            m_modelCombo->setCurrentIndex(i >= 0 ? i : 0);
            return;
        }
        m_modelCombo->insertItem(m_modelCombo->count() - 1, QFileInfo(path).fileName(), path);
        m_modelCombo->setCurrentIndex(m_modelCombo->count() - 2);
    }
    m_modelPath = path;
    restart();
}

void MainWindow::openFile() {
    const QString path = QFileDialog::getOpenFileName(this, tr("Open a video or audio file"), QString(),
                                                      tr("Media (*.mp4 *.avi *.mkv *.mov *.webm *.wav *.flac *.ogg *.mp3);;All files (*)"));
    if (path.isEmpty()) {
        rebuildSourceCombo();
        return;
    }
    m_recentFiles.removeAll(path);
    m_recentFiles.prepend(path);
    while (m_recentFiles.size() > 5) m_recentFiles.removeLast();
    m_implicitSource = false;
    startSource(QStringLiteral("file:") + path);
}

void MainWindow::startSource(const QString& spec) {
    m_sourceSpec = spec;
    rebuildSourceCombo();
    restart();
}

void MainWindow::setRunMode(RunMode mode) {
    const bool changed = mode != m_mode;
    m_mode = mode;
    m_modeAction[static_cast<int>(mode)]->setChecked(true);
    if (!changed) return;
    // A running session switches between two tokens and keeps its source and plots; otherwise
    // (ended, failed, idle) start again in the new mode.
    if (m_pipeline->set_mode(mode))
        setStatus(tr("Switched to %1 mode").arg(modeName(mode)), false);
    else
        restart();
}

void MainWindow::setSmoothing(double seconds) {
    m_smoothing = std::max(0.0, seconds);
    int best = 0;
    for (int i = 0; i < m_smoothCombo->count(); ++i)
        if (std::fabs(m_smoothCombo->itemData(i).toDouble() - m_smoothing) < 1e-9) best = i;
    m_smoothCombo->setCurrentIndex(best);
    updatePlots();
}

void MainWindow::setPaused(bool paused) {
    m_pipeline->set_paused(paused);
    m_pauseAction->setText(paused ? tr("Resume") : tr("Pause"));
}

void MainWindow::setMirrorPreview(bool on) {
    m_mirror = on;
    if (m_mirrorAction && m_mirrorAction->isChecked() != on) m_mirrorAction->setChecked(on);
    const bool camera = m_snap.source.kind == "camera";
    m_preview->setMirrored(on && (camera || m_snap.pose_enabled));
}

void MainWindow::setDisplayFrozen(bool frozen) {
    if (frozen) {
        m_timer->stop();
    } else {
        m_timer->start();
    }
}

void MainWindow::togglePause() { setPaused(!m_pipeline->paused()); }

void MainWindow::restart() {
    PipelineConfig cfg;
    cfg.source = m_sourceSpec.toStdString();
    cfg.mode = m_mode;
    cfg.model_path = m_modelPath.toStdString();
    const bool demo = m_sourceSpec.startsWith(QStringLiteral("demo"));
    cfg.loop = demo || m_loopAction->isChecked();
    cfg.realtime = !m_opts.fast;
    cfg.record_capacity = 8192;
    m_pipeline->set_paused(false);
    m_pauseAction->setText(tr("Pause"));
    m_pipeline->start(std::move(cfg));
    setStatus(tr("Opening %1 …").arg(m_sourceSpec), false);
}

void MainWindow::setStatus(const QString& msg, bool error) {
    m_statusLabel->setText(msg);
    QPalette p = m_statusLabel->palette();
    p.setColor(QPalette::WindowText, error ? QColor(200, 40, 40) : palette().color(QPalette::WindowText));
    m_statusLabel->setPalette(p);
}

QString MainWindow::statusText() const { return m_statusLabel->text(); }

// ------------------------------------------------------------------------------------------------
void MainWindow::resetSessionView() {
    m_plotsDirty = true;
    m_history.clear();
    m_switchMarks.clear();
    m_smoothed[0].clear();
    m_smoothed[1].clear();
    m_lastFrameData = nullptr;
    m_lastSpecTime = -1.0;
    m_sessionConfigured = false;
    for (int m = 0; m < 2; ++m) {
        m_plot[m]->clear();
        m_bars[m]->clear();
    }
    m_preview->clear();
}

void MainWindow::applySessionConfig() {
    m_plotsDirty = true;
    m_classes.clear();
    for (const auto& c : m_snap.classes) m_classes << QString::fromStdString(c);
    for (int m = 0; m < 2; ++m) {
        m_plot[m]->setClasses(m_classes);
        m_bars[m]->setClasses(m_classes);
    }
    applyModeLayout();
    m_preview->setKind(m_snap.modality == Modality::Video ? PreviewWidget::Kind::Video : PreviewWidget::Kind::Audio);
    m_sessionConfigured = true;
}

void MainWindow::applyModeLayout() {
    m_plotsDirty = true;
    m_viewMode = m_snap.mode;
    const bool show[2] = {runs_slot(m_viewMode, 0), runs_slot(m_viewMode, 1)};
    for (int m = 0; m < 2; ++m) {
        m_plot[m]->setVisible(show[m]);
        m_bars[m]->setVisible(show[m]);
    }
    // One legend is enough when the plots are stacked.
    m_plot[0]->setLegendVisible(true);
    m_plot[1]->setLegendVisible(!show[0]);
}

void MainWindow::tick() {
    m_snap = m_pipeline->snapshot();
    if (m_snap.session != m_session) {
        m_session = m_snap.session;
        resetSessionView();
    }
    if (!m_sessionConfigured && !m_snap.classes.empty()) applySessionConfig();
    if (m_sessionConfigured && m_snap.mode != m_viewMode) applyModeLayout();

    for (auto& r : m_pipeline->records_after(m_lastSeq)) {
        m_lastSeq = std::max(m_lastSeq, r.seq);
        if (r.session != m_session) continue;
        // A change in which modes produced outputs marks a mode switch on the plots.
        if (!m_history.empty() && (r.out[0].present != m_history.back().out[0].present ||
                                   r.out[1].present != m_history.back().out[1].present)) {
            const RunMode now = r.out[0].present && r.out[1].present ? RunMode::Both
                                : (r.out[0].present ? RunMode::Regular : RunMode::Continual);
            m_switchMarks.push_back({r.time_s, QStringLiteral("→ ") + modeName(now)});
            if (m_switchMarks.size() > 32) m_switchMarks.erase(m_switchMarks.begin());
        }
        m_history.push_back(std::move(r));
        m_plotsDirty = true;
    }
    while (static_cast<int>(m_history.size()) > kMaxHistory) m_history.pop_front();

    // Preview
    if (m_snap.modality == Modality::Video) {
        if (!m_snap.preview.empty() && m_snap.preview.data != m_lastFrameData) {
            m_lastFrameData = m_snap.preview.data;
            m_preview->setFrame(toQImage(m_snap.preview));
        }
        if (m_snap.pose_enabled && m_snap.pose.width > 0)
            m_preview->setPose(m_snap.pose);
        else if (m_preview->hasPose())
            m_preview->clearPose();
        if (m_snap.hands_enabled && m_snap.pose.width > 0)
            m_preview->setHands(m_snap.hands);
        else if (m_preview->hasHands())
            m_preview->clearHands();
        setMirrorPreview(m_mirror);
    } else if (m_sessionConfigured) {
        m_preview->setLevel(m_snap.audio_rms_db, m_snap.audio_peak_db);
        if (m_snap.logmel_rows > 0 && m_snap.logmel_time_s > m_lastSpecTime) {
            int rows = m_snap.logmel_rows;
            if (m_lastSpecTime >= 0) rows = std::clamp(static_cast<int>(std::lround((m_snap.logmel_time_s - m_lastSpecTime) / 0.010)), 0, m_snap.logmel_rows);
            if (rows > 0) {
                const std::size_t cols = static_cast<std::size_t>(m_snap.logmel_cols);
                std::vector<float> tail(m_snap.logmel.end() - static_cast<std::ptrdiff_t>(static_cast<std::size_t>(rows) * cols), m_snap.logmel.end());
                m_preview->appendSpectrogram(tail, rows, m_snap.logmel_cols);
            }
            m_lastSpecTime = m_snap.logmel_time_s;
        }
    }
    // The plots and bars change only with new steps (10 or 4 per s), not with every 30 Hz tick: under
    // Xvfb a repaint of both plots costs as much CPU as the keypoint networks need.
    if (m_plotsDirty) {
        updatePlots();
        m_plotsDirty = false;
    }

    // Counters
    CountersData d;
    for (int m = 0; m < 2; ++m) {
        d.mode[m].active = m_snap.modes[m].active;
        d.mode[m].macs = m_snap.modes[m].macs_per_step;
        const bool has = m_snap.modes[m].active && !m_snap.modes[m].latency_history.empty();
        d.mode[m].p50_ms = has ? m_snap.modes[m].p50_ms : -1;
        d.mode[m].p95_ms = has ? m_snap.modes[m].p95_ms : -1;
        d.mode[m].history = m_snap.modes[m].latency_history;
    }
    d.tokens_per_s = m_snap.tokens_per_s;
    d.tokens = m_snap.tokens;
    d.dropped_frames = m_snap.dropped_items;
    d.dropped_tokens = m_snap.dropped_tokens;
    d.dropped_samples = m_snap.dropped_in_source;
    d.max_abs_diff = m_snap.max_abs_diff;
    d.warm_k = static_cast<int>(m_snap.warm_k);
    d.warm_n = static_cast<int>(m_snap.warm_n);
    d.e2e_p95_ms = m_snap.tokens > 0 ? m_snap.e2e_p95_ms : -1;
    m_counters->setData(d);

    // Status
    const bool err = m_snap.state == PipelineState::Error;
    QString msg = QString::fromStdString(m_snap.message);
    if (err) {
        msg = tr("⚠ %1 — pick another source from the Source list").arg(msg);
        m_preview->setMessage(tr("⚠ %1\n\nPick another source from the Source list above\n(Demo video and Demo audio always work).")
                                  .arg(QString::fromStdString(m_snap.message)));
    } else if (m_snap.state == PipelineState::Ended) {
        m_preview->setMessage(QString::fromStdString(m_snap.message));
    } else {
        m_preview->setMessage(m_snap.state == PipelineState::Starting ? tr("Opening %1 …").arg(m_sourceSpec) : QString());
    }
    if (!err && m_snap.state == PipelineState::Running && m_snap.nobody_in_view)
        msg = tr("Nobody in view — step in front of the camera · %1").arg(msg);
    if (!msg.isEmpty() && msg != m_statusLabel->text()) setStatus(msg, err || m_snap.state == PipelineState::Ended);
    QString state = QString::fromLatin1(to_string(m_snap.state));
    if (!m_snap.model_name.empty()) state += QStringLiteral(" · ") + QString::fromStdString(m_snap.model_name);
    state += QStringLiteral(" · ") + modeName(m_snap.mode);
    m_stateLabel->setText(state);
}

void MainWindow::updatePlots() {
    if (!m_sessionConfigured) return;
    const double alpha_tau = m_smoothing;
    for (int m = 0; m < 2; ++m) {
        if (m_plot[m]->isHidden()) {
            m_smoothed[m].clear();
            continue;
        }
        std::vector<PlotPoint> pts;
        const double t_end = m_history.empty() ? 0.0 : m_history.back().time_s;
        const double t_begin = t_end - kPlotSpan - 1.0 - 5.0 * alpha_tau;
        std::vector<float> ema;
        double t_prev = 0.0;
        // A single-mode plot continues across a mode switch with the other mode's outputs from
        // before it (the two modes give the same outputs); side by side, each plot shows its own.
        const bool single = m_viewMode != RunMode::Both;
        // Media time only grows within a session: start at the first record in the plotted span.
        const auto first = std::lower_bound(m_history.begin(), m_history.end(), t_begin,
                                            [](const StepRecord& r, double t) { return r.time_s < t; });
        for (auto it = first; it != m_history.end(); ++it) {
            const StepRecord& r = *it;
            const ModeOutput* o = r.out[m].present ? &r.out[m] : (single && r.out[1 - m].present ? &r.out[1 - m] : nullptr);
            if (!o) continue;
            PlotPoint pt;
            pt.t = r.time_s;
            pt.warmup = o->warmup;
            pt.p = o->probs;
            if (alpha_tau > 0.0) {
                if (ema.size() != pt.p.size()) {
                    ema = pt.p;
                } else {
                    const double a = 1.0 - std::exp(-(pt.t - t_prev) / alpha_tau);
                    for (std::size_t c = 0; c < ema.size(); ++c) ema[c] += static_cast<float>(a) * (pt.p[c] - ema[c]);
                }
                pt.p = ema;
                t_prev = pt.t;
            }
            pts.push_back(std::move(pt));
        }
        const bool warm = !pts.empty() ? pts.back().warmup : true;
        std::vector<float> newest = pts.empty() ? std::vector<float>{} : pts.back().p;
        m_plot[m]->setWarmup(static_cast<int>(m_snap.warm_k), static_cast<int>(m_snap.warm_n));
        m_plot[m]->setPoints(std::move(pts));
        m_plot[m]->setMarkers(m_switchMarks);
        m_bars[m]->setProbabilities(newest, warm);
        m_smoothed[m] = newest;
    }
    // Top-1 label on the preview: continual if running, else regular.
    const int lm = m_smoothed[1].empty() ? 0 : 1;
    const auto& p = m_smoothed[lm];
    if (!p.empty()) {
        const int top = static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
        const QString name = top < m_classes.size() ? m_classes[top] : QString::number(top);
        const bool warm = m_snap.warm_k < m_snap.warm_n;
        m_preview->setLabel(warm ? name + tr(" (warm-up %1/%2)").arg(m_snap.warm_k).arg(m_snap.warm_n) : name,
                            classColor(top), static_cast<double>(p[static_cast<std::size_t>(top)]));
    }
}

// ------------------------------------------------------------------------------------------------
QJsonObject MainWindow::displayedState() const {
    QJsonObject o;
    o[QStringLiteral("source")] = m_sourceSpec;
    o[QStringLiteral("state")] = QString::fromLatin1(to_string(m_snap.state));
    o[QStringLiteral("status")] = m_statusLabel->text();
    o[QStringLiteral("message")] = QString::fromStdString(m_snap.message);
    o[QStringLiteral("mode")] = QString::fromLatin1(to_string(m_snap.mode));
    o[QStringLiteral("modality")] = QString::fromLatin1(to_string(m_snap.modality));
    o[QStringLiteral("model")] = QString::fromStdString(m_snap.model_name);
    o[QStringLiteral("classes")] = QJsonArray::fromStringList(m_classes);
    o[QStringLiteral("steps_shown")] = stepsShown();
    o[QStringLiteral("tokens")] = static_cast<qint64>(m_snap.tokens);
    QJsonArray plots;
    for (int m = 0; m < 2; ++m) {
        if (m_plot[m]->isHidden()) continue;
        QJsonObject p;
        p[QStringLiteral("title")] = m_plot[m]->title();
        p[QStringLiteral("points")] = m_plot[m]->pointCount();
        p[QStringLiteral("markers")] = static_cast<int>(m_plot[m]->markers().size());
        QJsonArray top;
        for (const auto& [c, prob] : m_bars[m]->topK()) {
            QJsonObject t;
            t[QStringLiteral("class")] = c < m_classes.size() ? m_classes[c] : QString::number(c);
            t[QStringLiteral("p")] = static_cast<double>(prob);
            top.append(t);
        }
        p[QStringLiteral("top")] = top;
        plots.append(p);
    }
    o[QStringLiteral("plots")] = plots;
    QJsonObject c;
    const auto& d = m_counters->data();
    const char* names[2] = {"regular", "continual"};
    for (int m = 0; m < 2; ++m) {
        QJsonObject mm;
        mm[QStringLiteral("active")] = d.mode[m].active;
        mm[QStringLiteral("macs_per_step")] = static_cast<qint64>(d.mode[m].macs);
        mm[QStringLiteral("latency_p50_ms")] = d.mode[m].p50_ms;
        mm[QStringLiteral("latency_p95_ms")] = d.mode[m].p95_ms;
        mm[QStringLiteral("macs_text")] = m_counters->macsText(m);
        mm[QStringLiteral("latency_text")] = m_counters->latencyText(m);
        c[QString::fromLatin1(names[m])] = mm;
    }
    c[QStringLiteral("macs_ratio_text")] = m_counters->macsRatioText();
    c[QStringLiteral("latency_ratio_text")] = m_counters->latencyRatioText();
    c[QStringLiteral("stats_text")] = m_counters->statsText();
    c[QStringLiteral("tokens_per_s")] = d.tokens_per_s;
    c[QStringLiteral("dropped_frames")] = static_cast<qint64>(d.dropped_frames);
    c[QStringLiteral("dropped_tokens")] = static_cast<qint64>(d.dropped_tokens);
    c[QStringLiteral("max_abs_diff")] = d.max_abs_diff;
    c[QStringLiteral("warm_k")] = d.warm_k;
    c[QStringLiteral("warm_n")] = d.warm_n;
    c[QStringLiteral("e2e_p50_ms")] = m_snap.e2e_p50_ms;
    c[QStringLiteral("e2e_p95_ms")] = m_snap.e2e_p95_ms;
    o[QStringLiteral("counters")] = c;
    o[QStringLiteral("preview_has_frame")] = m_preview->hasFrame();
    o[QStringLiteral("preview_mirrored")] = m_preview->mirrored();
    o[QStringLiteral("pose_enabled")] = m_snap.pose_enabled;
    o[QStringLiteral("nobody_in_view")] = m_snap.nobody_in_view;
    o[QStringLiteral("pose_keypoints_drawn")] = m_preview->poseKeypointsDrawn();
    o[QStringLiteral("hands_enabled")] = m_snap.hands_enabled;
    o[QStringLiteral("hand_landmarks_drawn")] = m_preview->handLandmarksDrawn();
    o[QStringLiteral("feature_id")] = QString::fromStdString(m_snap.feature_id);
    o[QStringLiteral("model_note")] = QString::fromStdString(m_snap.model_note);
    o[QStringLiteral("preview_spectrogram_columns")] = m_preview->spectrogramColumns();
    return o;
}

bool MainWindow::exportTo(const QString& path, QString* error) {
    std::vector<StepRecord> recs(m_history.begin(), m_history.end());
    try {
        std::vector<std::string> classes;
        for (const auto& c : m_classes) classes.push_back(c.toStdString());
        const auto rows = export_records(path.toStdString(), classes, recs);
        setStatus(tr("Exported %1 rows to %2").arg(rows).arg(path), false);
        return true;
    } catch (const std::exception& e) {
        const QString msg = tr("Export failed: %1").arg(QString::fromStdString(e.what()));
        setStatus(msg, true);
        if (error) *error = msg;
        return false;
    }
}

void MainWindow::exportPredictions() {
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export predictions"), dir + QStringLiteral("/colive-predictions.csv"),
        tr("CSV (*.csv);;JSON Lines (*.jsonl)"));
    if (!path.isEmpty()) exportTo(path);
}

bool MainWindow::saveScreenshotTo(const QString& path) {
    const bool ok = grab().save(path);
    setStatus(ok ? tr("Screenshot saved to %1").arg(path) : tr("Could not save screenshot to %1").arg(path), !ok);
    return ok;
}

void MainWindow::saveScreenshot() {
    QString dir = QStandardPaths::writableLocation(QStandardPaths::PicturesLocation);
    if (dir.isEmpty() || !QDir(dir).exists()) dir = QDir::homePath();
    saveScreenshotTo(dir + QStringLiteral("/colive-") + QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")) +
                     QStringLiteral(".png"));
}

}  // namespace colive::ui
