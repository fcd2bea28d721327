// SPDX-License-Identifier: MIT
#include "colive/backbone.h"
#include "colive/features.h"
#include "opencv_threads.h"

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include <numeric>

namespace colive {

namespace {
std::vector<float> read_floats(const cv::FileNode& n) {
    std::vector<float> v;
    if (n.isSeq()) {
        for (const auto& e : n) v.push_back(static_cast<float>(static_cast<double>(e)));
    } else if (n.isReal() || n.isInt()) {
        v.push_back(static_cast<float>(static_cast<double>(n)));
    }
    return v;
}
}  // namespace

BackboneManifest BackboneManifest::load(const std::filesystem::path& path_in) {
    std::filesystem::path path = path_in;
    if (path.extension() == ".onnx") {
        std::filesystem::path a = path;
        a += ".json";
        std::filesystem::path b = path;
        b.replace_extension(".json");
        if (std::filesystem::exists(a)) path = a;
        else if (std::filesystem::exists(b)) path = b;
        else throw FeatureError("backbone: no manifest next to " + path_in.string() + " (expected " + b.string() + ")");
    }
    if (!std::filesystem::is_regular_file(path)) throw FeatureError("backbone: manifest not found: " + path.string());
    BackboneManifest m;
    try {
        cv::FileStorage fs(path.string(), cv::FileStorage::READ | cv::FileStorage::FORMAT_JSON);
        if (!fs.isOpened()) throw FeatureError("backbone: cannot parse manifest " + path.string());
        const cv::FileNode root = fs.root();
        auto str = [&](const char* key, const std::string& def) {
            const cv::FileNode n = root[key];
            return n.isString() ? static_cast<std::string>(n) : def;
        };
        m.name = str("name", path.stem().string());
        const std::string onnx = str("onnx", "");
        if (onnx.empty()) throw FeatureError("backbone: manifest " + path.string() + " has no \"onnx\" key");
        m.onnx = std::filesystem::path(onnx).is_absolute() ? std::filesystem::path(onnx) : path.parent_path() / onnx;
        m.input_kind = str("input_kind", "");
        if (m.input_kind != "logmel" && m.input_kind != "frame")
            throw FeatureError("backbone: manifest " + path.string() + ": input_kind must be \"logmel\" or \"frame\"");
        for (float f : read_floats(root["input_shape"])) m.input_shape.push_back(static_cast<int>(f));
        if (m.input_shape.size() != 4 || m.input_shape[0] != 1 || m.input_shape[1] < 1 || m.input_shape[2] < 1 ||
            m.input_shape[3] < 1)
            throw FeatureError("backbone: manifest " + path.string() + ": input_shape must be [1, C, H, W]");
        m.mean = read_floats(root["mean"]);
        m.std = read_floats(root["std"]);
        if (m.mean.empty()) m.mean = {0.0f};
        if (m.std.empty()) m.std = {1.0f};
        const auto C = static_cast<std::size_t>(m.input_shape[1]);
        if ((m.mean.size() != 1 && m.mean.size() != C) || (m.std.size() != 1 && m.std.size() != C))
            throw FeatureError("backbone: manifest " + path.string() + ": mean/std need 1 or C values");
        for (float s : m.std)
            if (!(s > 0.0f)) throw FeatureError("backbone: manifest " + path.string() + ": std must be > 0");
        const cv::FileNode ps = root["pixel_scale"];
        m.pixel_scale = (ps.isReal() || ps.isInt()) ? static_cast<float>(static_cast<double>(ps))
                                                     : (m.input_kind == "frame" ? 1.0f / 255.0f : 1.0f);
        m.color = str("color", "rgb");
        if (m.color != "rgb" && m.color != "bgr" && m.color != "grey")
            throw FeatureError("backbone: manifest " + path.string() + ": color must be rgb, bgr or grey");
        if (m.input_kind == "frame" && m.color == "grey" && C != 1)
            throw FeatureError("backbone: manifest " + path.string() + ": color grey needs 1 input channel");
        if (m.input_kind == "frame" && m.color != "grey" && C != 3)
            throw FeatureError("backbone: manifest " + path.string() + ": color rgb/bgr needs 3 input channels");
        if (m.input_kind == "logmel" && C != 1)
            throw FeatureError("backbone: manifest " + path.string() + ": logmel input needs 1 channel");
        m.output = str("output", "");
    } catch (const cv::Exception& e) {
        throw FeatureError("backbone: cannot parse manifest " + path.string() + ": " + e.msg);
    }
    return m;
}

struct OnnxBackbone::Impl {
    BackboneManifest m;
    cv::dnn::Net net;
    int dim = 0;
    cv::Mat blob, work, resized, f32;
    std::vector<cv::Mat> planes;

    void forward(std::vector<float>& out) {
        net.setInput(blob);
        cv::Mat o = m.output.empty() ? net.forward() : net.forward(m.output);
        if (!o.isContinuous()) o = o.clone();
        if (o.depth() != CV_32F) o.convertTo(o, CV_32F);
        const std::size_t n = o.total() * static_cast<std::size_t>(o.channels());
        out.assign(o.ptr<float>(), o.ptr<float>() + n);
        if (dim != 0 && static_cast<int>(n) != dim)
            throw FeatureError("backbone '" + m.name + "': output width changed from " + std::to_string(dim) + " to " +
                               std::to_string(n));
    }
    float mean(int c) const { return m.mean.size() == 1 ? m.mean[0] : m.mean[static_cast<std::size_t>(c)]; }
    float stdv(int c) const { return m.std.size() == 1 ? m.std[0] : m.std[static_cast<std::size_t>(c)]; }
};

OnnxBackbone::OnnxBackbone(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
OnnxBackbone::OnnxBackbone(OnnxBackbone&&) noexcept = default;
OnnxBackbone& OnnxBackbone::operator=(OnnxBackbone&&) noexcept = default;
OnnxBackbone::~OnnxBackbone() = default;

OnnxBackbone OnnxBackbone::load(const std::filesystem::path& manifest_path) {
    return load(BackboneManifest::load(manifest_path));
}

OnnxBackbone OnnxBackbone::load(BackboneManifest manifest) {
    opencv_threads_for_sanitizers();
    auto impl = std::make_unique<Impl>();
    impl->m = std::move(manifest);
    if (!std::filesystem::is_regular_file(impl->m.onnx))
        throw FeatureError("backbone '" + impl->m.name + "': ONNX file not found: " + impl->m.onnx.string());
    try {
        impl->net = cv::dnn::readNetFromONNX(impl->m.onnx.string());
        if (impl->net.empty()) throw FeatureError("backbone: OpenCV DNN could not read " + impl->m.onnx.string());
        impl->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        impl->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        impl->blob.create(static_cast<int>(impl->m.input_shape.size()), impl->m.input_shape.data(), CV_32F);
        impl->blob.setTo(0.0f);
        std::vector<float> out;
        impl->forward(out);
        impl->dim = static_cast<int>(out.size());
    } catch (const cv::Exception& e) {
        std::string msg = e.err.empty() ? e.msg : e.err;
        msg.erase(std::remove(msg.begin(), msg.end(), '\n'), msg.end());
        throw FeatureError("backbone '" + impl->m.name + "': OpenCV DNN failed on " + impl->m.onnx.string() + ": " + msg);
    }
    if (impl->dim <= 0) throw FeatureError("backbone '" + impl->m.name + "': empty output");
    return OnnxBackbone(std::move(impl));
}

const BackboneManifest& OnnxBackbone::manifest() const { return m_impl->m; }
int OnnxBackbone::dim() const { return m_impl->dim; }

void OnnxBackbone::run_blob(std::span<const float> nchw, std::vector<float>& out) {
    auto& I = *m_impl;
    if (nchw.size() != I.blob.total())
        throw FeatureError("backbone '" + I.m.name + "': input has " + std::to_string(nchw.size()) + " values, expected " +
                           std::to_string(I.blob.total()));
    std::copy(nchw.begin(), nchw.end(), I.blob.ptr<float>());
    try {
        I.forward(out);
    } catch (const cv::Exception& e) {
        throw FeatureError("backbone '" + I.m.name + "': forward failed: " + e.err);
    }
}

void OnnxBackbone::run_logmel(std::span<const float> patch, int rows, int cols, std::vector<float>& out) {
    auto& I = *m_impl;
    const int H = I.m.input_shape[2], W = I.m.input_shape[3];
    if (rows != H || cols != W)
        throw FeatureError("backbone '" + I.m.name + "': log-mel patch is " + std::to_string(rows) + "x" +
                           std::to_string(cols) + ", network wants " + std::to_string(H) + "x" + std::to_string(W));
    if (patch.size() != static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols))
        throw FeatureError("backbone: log-mel patch size mismatch");
    float* b = I.blob.ptr<float>();
    const float s = I.m.pixel_scale, mu = I.mean(0), sd = I.stdv(0);
    for (std::size_t i = 0; i < patch.size(); ++i) b[i] = (patch[i] * s - mu) / sd;
    try {
        I.forward(out);
    } catch (const cv::Exception& e) {
        throw FeatureError("backbone '" + I.m.name + "': forward failed: " + e.err);
    }
}

void OnnxBackbone::run_frame(const cv::Mat& frame, std::vector<float>& out) {
    auto& I = *m_impl;
    if (frame.empty() || frame.dims != 2) throw FeatureError("backbone: empty or non-2-D frame");
    const int C = I.m.input_shape[1], H = I.m.input_shape[2], W = I.m.input_shape[3];
    // To 8-bit-range float, then to the wanted channel order.
    const double scale = frame.depth() == CV_16U ? 1.0 / 256.0 : (frame.depth() == CV_32F ? 255.0 : 1.0);
    if (frame.depth() != CV_8U && frame.depth() != CV_16U && frame.depth() != CV_32F)
        throw FeatureError("backbone: frames must be 8-bit, 16-bit or float");
    frame.convertTo(I.f32, CV_32F, scale);
    const int ch = I.f32.channels();
    if (C == 1) {
        if (ch == 3) cv::cvtColor(I.f32, I.work, cv::COLOR_BGR2GRAY);
        else if (ch == 4) cv::cvtColor(I.f32, I.work, cv::COLOR_BGRA2GRAY);
        else if (ch == 1) I.work = I.f32;
        else throw FeatureError("backbone: frames must have 1, 3 or 4 channels");
    } else {
        const bool rgb = I.m.color == "rgb";
        if (ch == 1) cv::cvtColor(I.f32, I.work, rgb ? cv::COLOR_GRAY2RGB : cv::COLOR_GRAY2BGR);
        else if (ch == 3) {
            if (rgb) cv::cvtColor(I.f32, I.work, cv::COLOR_BGR2RGB);
            else I.work = I.f32;
        } else if (ch == 4) cv::cvtColor(I.f32, I.work, rgb ? cv::COLOR_BGRA2RGB : cv::COLOR_BGRA2BGR);
        else throw FeatureError("backbone: frames must have 1, 3 or 4 channels");
    }
    cv::resize(I.work, I.resized, cv::Size(W, H), 0, 0, cv::INTER_AREA);
    cv::split(I.resized, I.planes);
    float* b = I.blob.ptr<float>();
    for (int c = 0; c < C; ++c) {
        const cv::Mat& pl = I.planes[static_cast<std::size_t>(c)];
        const float s = I.m.pixel_scale, mu = I.mean(c), sd = I.stdv(c);
        for (int y = 0; y < H; ++y) {
            const float* r = pl.ptr<float>(y);
            float* d = b + (static_cast<std::size_t>(c) * H + static_cast<std::size_t>(y)) * W;
            for (int x = 0; x < W; ++x) d[x] = (r[x] * s - mu) / sd;
        }
    }
    try {
        I.forward(out);
    } catch (const cv::Exception& e) {
        throw FeatureError("backbone '" + I.m.name + "': forward failed: " + e.err);
    }
}

}  // namespace colive
