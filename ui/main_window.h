// SPDX-License-Identifier: MIT
// The CoLive window: toolbar (source, refresh, mode, model, pause, export, screenshot), live
// preview, probability plots (Regular above Continual in Both mode), top-k bars, counters and a
// status bar. Repaints from a ~30 Hz timer using the pipeline's latest snapshot; never blocks.
#pragma once

#include "pipeline/pipeline.h"
#include "probability_plot.h"

#include <QJsonObject>
#include <QMainWindow>
#include <QPointer>
#include <QStringList>

#include <atomic>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

class QAction;
class QActionGroup;
class QComboBox;
class QLabel;
class QMediaDevices;
class QTimer;

namespace colive::ui {

class CountersPanel;
class PreviewWidget;
class ProbabilityPlot;
class TopKBars;

struct MainWindowOptions {
    QString source;              // empty: from settings, else a camera if any, else demo-video
    QString mode;                // empty: from settings (default both)
    QString model;               // empty: by modality
    bool fast = false;           // files read as fast as possible (tests, screenshots)
    bool persistSettings = true; // read/write QSettings
    bool listMicrophones = true; // enumerate PortAudio inputs in the background at start
    int mirror = -1;             // mirrored preview: 1 on, 0 off, -1 from settings (default on)
};

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const MainWindowOptions& options = {}, QWidget* parent = nullptr);
    ~MainWindow() override;

    void startSource(const QString& spec);
    void setRunMode(colive::RunMode mode);
    colive::RunMode runMode() const { return m_mode; }
    QString currentSource() const { return m_sourceSpec; }
    void setSmoothing(double seconds);       // 0 = off
    void setPaused(bool paused);
    // Selfie view: the preview of cameras and of the pose model is shown mirrored (display only).
    void setMirrorPreview(bool on);
    bool mirrorPreview() const { return m_mirror; }
    // Stops/starts the repaint timer (the pipeline keeps running): a still picture for screenshots.
    void setDisplayFrozen(bool frozen);

    // Steps of the current session received by the window.
    int stepsShown() const { return static_cast<int>(m_history.size()); }
    colive::PipelineState pipelineState() const { return m_snap.state; }
    QString statusText() const;
    QJsonObject displayedState() const;      // what is on screen, as numbers and texts
    bool exportTo(const QString& path, QString* error = nullptr);
    bool saveScreenshotTo(const QString& path);
    colive::Pipeline& pipeline() { return *m_pipeline; }
    void tick();                             // one UI update (public for tests)

public slots:
    void refreshDevices();
    void openFile();
    void exportPredictions();
    void saveScreenshot();
    void togglePause();

protected:
    void closeEvent(QCloseEvent* e) override;

private:
    void buildUi();
    void restart();
    void resetSessionView();
    void applySessionConfig();
    void applyModeLayout();
    void updatePlots();
    void rebuildSourceCombo();
    void onSourceActivated(int index);
    void onModelActivated(int index);
    void setStatus(const QString& msg, bool error);
    void loadSettings();
    void saveSettings();

    MainWindowOptions m_opts;
    std::unique_ptr<colive::Pipeline> m_pipeline;
    QTimer* m_timer = nullptr;

    // toolbar
    QComboBox* m_sourceCombo = nullptr;
    QComboBox* m_modelCombo = nullptr;
    QComboBox* m_smoothCombo = nullptr;
    QActionGroup* m_modeGroup = nullptr;
    QAction* m_modeAction[3]{};
    QAction* m_pauseAction = nullptr;
    QAction* m_loopAction = nullptr;
    QAction* m_mirrorAction = nullptr;

    // views
    PreviewWidget* m_preview = nullptr;
    ProbabilityPlot* m_plot[2]{};
    TopKBars* m_bars[2]{};
    CountersPanel* m_counters = nullptr;
    QLabel* m_statusLabel = nullptr;
    QLabel* m_stateLabel = nullptr;

    // state
    colive::RunMode m_mode = colive::RunMode::Both;
    QString m_sourceSpec;
    QString m_modelPath;
    double m_smoothing = 0.0;
    bool m_mirror = true;
    QStringList m_recentFiles;
    bool m_implicitSource = false;           // the source was chosen by default, not by the user

    colive::Snapshot m_snap;
    std::uint64_t m_session = 0;
    bool m_sessionConfigured = false;
    colive::RunMode m_viewMode = colive::RunMode::Both;   // the mode the plots are laid out for
    std::vector<PlotMarker> m_switchMarks;    // where the records' modes changed
    std::uint64_t m_lastSeq = 0;
    bool m_plotsDirty = true;         // new steps (or a new session / layout) since the plots were last drawn
    std::deque<colive::StepRecord> m_history;
    QStringList m_classes;
    const void* m_lastFrameData = nullptr;
    double m_lastSpecTime = -1.0;
    std::vector<float> m_smoothed[2];

    // device lists (microphones come from a background thread)
    struct CameraEntry { QString label, spec; };
    std::vector<CameraEntry> m_cameras;
    QMediaDevices* m_mediaDevices = nullptr;   // hot-plug notifications
    QStringList m_micNames;
    QString m_micStatus;
    std::thread m_micThread;
    std::shared_ptr<std::atomic<bool>> m_alive = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace colive::ui
