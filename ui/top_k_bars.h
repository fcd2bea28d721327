// SPDX-License-Identifier: MIT
// Horizontal bars for the k most probable classes of the newest step.
#pragma once

#include <QStringList>
#include <QWidget>

#include <vector>

namespace colive::ui {

class TopKBars : public QWidget {
    Q_OBJECT
public:
    explicit TopKBars(QWidget* parent = nullptr);
    void setTitle(const QString& t);
    void setClasses(const QStringList& classes);
    void setK(int k);
    void setProbabilities(std::vector<float> probs, bool warmup);
    void clear();
    // The top classes as drawn (index, probability), for tests.
    std::vector<std::pair<int, float>> topK() const;
    QSize minimumSizeHint() const override { return {200, 90}; }

protected:
    void paintEvent(QPaintEvent*) override;

private:
    QString m_title;
    QStringList m_classes;
    std::vector<float> m_probs;
    bool m_warmup = false;
    int m_k = 5;
};

}  // namespace colive::ui
