// SPDX-License-Identifier: MIT
// A camera read with OpenCV on the pipeline's source thread, one-frame buffer for low latency.
// Opened by index ("0"), by device path ("/dev/video2") or by name (matched against
// /sys/class/video4linux/*/name; the GUI maps Qt's camera names to /dev/videoN itself).
#pragma once

#include "source.h"

#include <opencv2/videoio.hpp>

#include <string>
#include <vector>

namespace colive {

struct CameraDeviceInfo {
    std::string path;     // /dev/videoN
    std::string name;     // from sysfs, e.g. "Integrated Camera: Integrated C"
    int index = -1;       // N
};

// Video capture devices known to the kernel (Linux sysfs); empty when there are none.
std::vector<CameraDeviceInfo> list_cameras();

class CameraSource : public Source {
public:
    explicit CameraSource(std::string spec);   // "", index, /dev/videoN or a name
    ~CameraSource() override;
    Modality modality() const override { return Modality::Video; }
    void open() override;
    ReadStatus read(MediaItem& out) override;
    void close() override;
    SourceInfo info() const override { return m_info; }
    bool is_live() const override { return true; }

private:
    std::string m_spec;
    SourceInfo m_info;
    cv::VideoCapture m_cap;
    std::chrono::steady_clock::time_point m_t0{};
    int m_failures = 0;
};

}  // namespace colive
