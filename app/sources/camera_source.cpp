// SPDX-License-Identifier: MIT
#include "camera_source.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace colive {
namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// V4L2 on Linux: the other camera backends OpenCV may try (gphoto2, libdc1394, ...) probe USB buses,
// are slow, and leak. Elsewhere let OpenCV pick.
#ifdef __linux__
constexpr int kCameraApi = cv::CAP_V4L2;
#else
constexpr int kCameraApi = cv::CAP_ANY;
#endif

bool all_digits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

std::vector<CameraDeviceInfo> list_cameras() {
    std::vector<CameraDeviceInfo> out;
    std::error_code ec;
    const fs::path sys("/sys/class/video4linux");
    if (!fs::is_directory(sys, ec)) return out;
    for (const auto& e : fs::directory_iterator(sys, ec)) {
        const std::string node = e.path().filename().string();
        if (node.rfind("video", 0) != 0 || !all_digits(node.substr(5))) continue;
        CameraDeviceInfo d;
        d.index = std::stoi(node.substr(5));
        d.path = "/dev/" + node;
        std::ifstream f(e.path() / "name");
        std::getline(f, d.name);
        if (d.name.empty()) d.name = node;
        out.push_back(d);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
    return out;
}

CameraSource::CameraSource(std::string spec) : m_spec(std::move(spec)) {
    m_info.kind = "camera";
    m_info.name = m_spec.empty() ? "default camera" : m_spec;
}

CameraSource::~CameraSource() { close(); }

void CameraSource::open() {
    std::string target = m_spec;
    bool ok = false;
    if (target.empty() || all_digits(target)) {
        const int index = target.empty() ? 0 : std::stoi(target);
        m_info.name = "camera " + std::to_string(index);
        ok = m_cap.open(index, kCameraApi);
        if (!ok)
            throw SourceError("no camera at index " + std::to_string(index) +
                              (list_cameras().empty() ? " (no camera is connected)" : " (missing or busy)"));
    } else {
        if (target.rfind("/dev/", 0) != 0) {
            // A name: match the kernel's device names.
            const std::string want = lower(target);
            std::string found;
            for (const auto& c : list_cameras()) {
                const std::string n = lower(c.name);
                if (n == want || n.find(want) != std::string::npos) {
                    found = c.path;
                    m_info.name = c.name;
                    break;
                }
            }
            if (found.empty()) throw SourceError("no camera named '" + target + "'");
            target = found;
        }
        std::error_code ec;
        if (!fs::exists(target, ec)) throw SourceError("camera device " + target + " does not exist");
        ok = m_cap.open(target, kCameraApi);
        if (!ok) throw SourceError("cannot open camera " + target + " (busy or not a capture device)");
    }
    m_cap.set(cv::CAP_PROP_BUFFERSIZE, 1);
    cv::Mat probe;
    if (!m_cap.read(probe) || probe.empty()) {
        m_cap.release();
        throw SourceError("camera " + m_info.name + " opened but delivers no frames (busy?)");
    }
    double fps = m_cap.get(cv::CAP_PROP_FPS);
    if (!(fps > 0.5 && fps < 1000.0)) fps = 30.0;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%dx%d @ %.3g fps", probe.cols, probe.rows, fps);
    m_info.detail = buf;
    m_t0 = std::chrono::steady_clock::now();
    m_failures = 0;
}

ReadStatus CameraSource::read(MediaItem& out) {
    if (!m_cap.isOpened()) return ReadStatus::End;
    cv::Mat f;
    if (!m_cap.read(f) || f.empty()) {
        if (++m_failures >= 10) {
            m_cap.release();
            throw SourceError("camera " + m_info.name + " stopped delivering frames (unplugged?)");
        }
        return ReadStatus::Timeout;
    }
    m_failures = 0;
    out.set_video(f, std::chrono::duration<double>(std::chrono::steady_clock::now() - m_t0).count());
    return ReadStatus::Ok;
}

void CameraSource::close() {
    if (m_cap.isOpened()) m_cap.release();
}

}  // namespace colive
