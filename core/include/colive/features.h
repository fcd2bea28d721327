// SPDX-License-Identifier: MIT
// CoLive feature extractors: raw video frames / audio samples -> tokens for the engine.
// OpenCV is used here (and only here in core/). No Qt.
//
// Both extractors run on a worker thread, take input at any rate/size and emit tokens at a fixed
// token rate. They do not allocate per token after the first few calls.
#pragma once

#include "colive/engine.h"
#include "colive/hand.h"
#include "colive/pose.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cv {
class Mat;
}

namespace colive {

struct FeatureError : Error {
    using Error::Error;
};

// A token produced by an extractor, with the media time (seconds) it stands for.
struct Token {
    std::vector<float> values;
    double time_s = 0.0;
};

// ---------------------------------------------------------------------------------------------
struct VideoFeatureParams {
    double token_rate_hz = 10.0;      // tokens per second, independent of the camera frame rate
    int work_width = 160;             // frames are resized to this width (aspect kept) before analysis
    // Optional: a backbone manifest (see colive/backbone.h). When set, the token is the ONNX
    // network's output on the frame at each token time instead of the motion descriptor.
    std::string backbone_manifest;
    // Dense optical flow: "dis" (OpenCV DIS, ultrafast preset; the default) or "farneback"
    // (for comparison in benchmarks; tokens differ slightly).
    std::string flow_method = "dis";
    // Token layout: "video-motion-v3" (default, 196 floats), its prefixes "video-motion-v2"
    // (first 170 floats) and "video-motion-v1" (first 88), or its extensions "video-motion-v4"
    // (206 floats) and "video-motion-v5" (210; the bundled action model's), for models trained on those;
    // or "pose-kp-v1" / "-v2" / "-v3" / "-v4" (128 / 190 / 217 / 217 floats, colive/pose_tokens.h): body
    // keypoints of the person in view (v2 adds each hand relative to where it rests; v3 adds what the
    // hand landmark network sees around each wrist; v4 the same with hands found by HandFinder).
    std::string descriptor = "video-motion-v3";
    // pose-kp-* only: the converted MoveNet Lightning network (models/pose/movenet-lightning.onnx,
    // made by scripts/setup-pose-models.sh); required for that descriptor.
    std::string pose_model;
    // pose-kp-* only: frames given to the keypoint network per second of media time, at most
    // (0 = twice the token rate: 20 Hz for the usual 10 tokens/s). MoveNet Lightning takes ~19 ms of
    // CPU a frame here (it runs on one OpenCV thread), so analysing every frame of a 30 fps camera
    // would cost ~0.57 s of CPU per second; 20 Hz costs ~0.38 s and still gives every token interval
    // two keypoint frames, one of them at the slot's end (the analysed frames are on a grid anchored
    // at the first frame, as the token slots are), so a token is complete as soon as its last frame
    // is analysed. The frames in between are not analysed (the app's preview shows the analysed
    // ones, so the skeleton drawn on them always matches the picture). pose-kp-v4 models were trained
    // on keypoints of every frame, so for them 0 means every frame (up to 240 Hz).
    double pose_rate_hz = 0.0;
    // pose-kp-v3/-v4 only: the converted hand landmark network (empty = handlandmark-lite.onnx in the
    // folder of pose_model). It runs on one analysed frame per token period, on a crop around each
    // wrist MoveNet sees (colive/hand.h; ~20 ms of CPU per crop); the other layouts never load it.
    std::string hand_model;
    // pose-kp-v4 only: the hand detector (empty = handtrack.onnx in the folder of pose_model); the hands
    // come from HandFinder (colive/hand_finder.h: wrist crop, tracking, detector boxes; the detector runs
    // at most every 0.5 s, only when an arm found no hand otherwise).
    std::string hand_detector_model;
};

// video-motion-v3 token (196 floats) = video-motion-v2 ([0,170)) + a frame-difference block; and
// video-motion-v2 = video-motion-v1 ([0,88)) + an object-motion block. All three are computed the
// same way; v1 and v2 are prefixes of v3.
// video-motion-v1: Dense optical flow (OpenCV DIS: ultrafast iterations, patch 4, stride 2, finest
// scale 1/2) on a grey image resized to work_width (aspect kept, height clamped to 32..4*work_width),
// summed over sub-steps of at least 1/30 s between consecutive token frames (so the cost does not
// grow with the camera frame rate and fast swipes stay measurable: within 4 % up to 3 frame widths
// per second at 30-60 fps, 1 width/s at 15 fps), and expressed as a velocity in frame widths per
// second (x right, y down; both axes scaled by the width), so it does not depend on frame size or
// rate. The sum is Eulerian (per pixel), so a small object contributes only while it covers a pixel.
//   [0,48)   4x4 grid (row-major, top-left first), per cell: mean vx, mean vy, mean |v|
//   [48,56)  orientation histogram, 8 bins of 45 degrees centred on right, up-right, up, up-left,
//            left, down-left, down, down-right; each bin = sum of |v| in the bin / pixel count
//   [56,69)  global: 56 mean vx, 57 mean vy, 58 mean |v|, 59 std vx, 60 std vy,
//            61 divergence (> 0 expansion, e.g. push towards the camera), 62 curl (> 0 clockwise
//            on screen), 63/64 shear, 65 fraction of pixels moving faster than 0.05 widths/s,
//            66/67 motion centroid x/y (|v|-weighted, in widths from the centre), 68 motion spread
//   [69,72)  appearance: mean grey level, grey std (0..1), mean |frame difference| (0..1)
//   [72,84)  history: (mean vx, mean vy, divergence) of the previous 4 tokens, newest first
//            (zeros before there are any)
//   [84,88)  oscillation over the last 10 tokens (this one included): std of mean vx, std of
//            mean vy, sign flips of mean vx / 9, sign flips of mean vy / 9 (waves, claps)
// video-motion-v2 adds, for the flow relative to the background r = v - median(v) (camera shake and
// pans removed, so a small hand over a shaking scene stands out):
//   [88,90)   background motion: median vx, median vy
//   [90,138)  4x4 grid of r: mean rx, ry, |r| per cell (same cell order as [0,48))
//   [138,140) |r|-weighted mean of r (direction and speed of the moving object)
//   [140,143) mean rx, ry over pixels with |r| > 0.1 widths/s, and their fraction
//   [143,146) |r|-weighted centroid x, y of the motion (widths from the centre) and its spread
//   [146,148) velocity of that centroid since the previous token (widths/s; 0 when either token had
//             almost no moving pixels)
//   [148,156) orientation histogram of r (bins as [48,56))
//   [156,158) local divergence and curl of the flow averaged over the moving pixels (1/s)
//   [158,166) history: [138,140) of the previous 4 tokens, newest first
//   [166,170) oscillation of [138,140) over the last 10 tokens: std x, std y, sign flips x / 9, y / 9
// video-motion-v3 adds, from the frame difference after aligning the previous frame by the
// background (median) motion, minus a noise floor (3 x median + 4 grey levels), summed over the flow
// sub-steps of the token interval and scaled to 0..1 per sub-step. It marks where something moved
// even when it moved too far for optical flow (a fast hand at 15 fps):
//   [170,186) 4x4 grid (same order as [0,48)) of mean difference energy
//   [186,188) mean energy, fraction of pixels with energy
//   [188,192) energy centroid x, y (widths from the centre) and its spread x, y
//   [192,194) velocity of the energy centroid since the previous token (widths/s; 0 when either
//             token had changes on fewer than 0.2 % of the pixels)
//   [194,196) velocity of the centroid from the first to the last sub-step inside this token
//             interval (0 with fewer than two sub-steps that saw changes)
// video-motion-v4 (206 floats; v3 is its prefix) adds the dominant changing region of the token
// interval (in the training clips: the hand), so its scale change is not averaged away by the whole
// frame. Region energy = the v3 difference energy summed over the sub-steps (grey levels) + the same
// aligned, +-1 px minimised difference over the whole token interval (slow edges, which move less
// than 1 px per sub-step at the working width, show up only there); 5x5 mean > 8, opened 3x3,
// largest 8-connected component (all zeros when it covers < 0.2 % of the pixels):
//   [196,198) region area (fraction of the frame) and spread (rms distance from its centroid, widths)
//   198       mean radial speed of the flow relative to the background (median) motion over the
//             region, projected on the direction away from the region's centroid (widths/s):
//             > 0 the region expands (push towards the camera), < 0 it contracts (pull)
//   [199,201) divergence and curl (1/s) of an affine fit of that flow around the centroid, +-20
//   [201,203) region centroid x, y (widths from the frame centre)
//   203       d log(spread + 0.001) / dt since the previous token (1/s; 0 unless both have a region)
//   [204,206) means of 198 and 199 over the last 10 tokens (this one included)
// video-motion-v5 (210 floats; v4 is its prefix) adds statistics of the region over the last 10
// tokens (this one included) that a 1-block transformer cannot form itself (its attention only
// averages linear projections of the tokens): a resting hand is a steady region, a push or pull a
// region that appears, changes size and vanishes:
//   206 fraction of the tokens with a region, 207 std of the region area [196],
//   208 mean |radial speed| [198], 209 mean |d log spread / dt| [203]
// pose-kp-v1 ... -v4: each frame due on the pose-rate grid (see pose_rate_hz) goes through PoseNet
// (colive/pose.h) and the keypoints through PoseTokenizer (colive/pose_tokens.h, which documents the
// layout and its token timing). A change of frame size resets the tracking and the tokenizer.
// The first token is due one token period after the first frame (or after a restart: a timestamp
// going backwards, a gap over max(2 s, 3 periods), or a change of the working size).
// A frame is used for the token slot it is nearest to (a tolerance of half the measured camera
// frame interval, at most half a period); token time_s is the slot time.

class VideoFeatures {
public:
    explicit VideoFeatures(VideoFeatureParams params = {});
    ~VideoFeatures();
    static const char* id();          // the default descriptor's id, "video-motion-v3"
    int dim() const;                  // token width
    // This extractor's id: params.descriptor, or "onnx:<manifest name>" when a backbone is configured.
    std::string feature_id() const;
    // Pushes one frame (any size; 8-bit or 16-bit; 1, 3 or 4 channels) taken at media time t_s.
    // Returns true and fills `out` when a token is due at the token rate.
    bool push(const cv::Mat& frame, double t_s, Token& out);
    // Same, but calls `on_token` for every token slot due at t_s: when frames arrive slower than
    // the token rate, the motion of the gap is spread over the missed slots (velocity tokens), so
    // the model always sees token_rate_hz tokens per second of media time.
    void push(const cv::Mat& frame, double t_s, const std::function<void(const Token&)>& on_token);
    void reset();
    // pose-kp-*: the keypoints of the latest analysed frame (a copy; safe to call from any thread),
    // in pixels of that frame; present = false when nobody was in view. nullopt for the other
    // descriptors and before the first analysed frame. frame_time_s (optional) gets that frame's t_s.
    std::optional<PoseFrame> latest_pose(double* frame_time_s = nullptr) const;
    bool uses_pose() const;           // descriptor "pose-kp-v1" ... "-v4"
    // pose-kp-v3/-v4: the hands (both arms, colive/hand.h) the latest token was given, found on the first
    // analysed frame of each token slot (frame_time_s gets that frame's t_s; pixels of that frame); an
    // arm with present = false had no hand. nullopt for the other descriptors and before the first.
    std::optional<HandFrames> latest_hands(double* frame_time_s = nullptr) const;
    bool uses_hands() const;          // descriptor "pose-kp-v3" or "-v4" (the hand landmark network runs)

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// ---------------------------------------------------------------------------------------------
// audio-logmel-v2 token (276 floats; the default) and audio-logmel-v1 (324 floats) share [0,256),
// computed from one log-mel patch of P = 96 frames x 64 bands
// (VGGish: 16 kHz, 25 ms periodic-Hann window, 10 ms hop, |FFT 512|, HTK mel 125-7500 Hz,
// log(mel + 0.01)) and a 3.0 s rhythm context (300 frames) ending with the patch:
//   [0,64)    per-band mean of the log-mel over the patch
//   [64,128)  per-band standard deviation over the patch
//   [128,224) coarse patch: 6 time segments (16 frames each) x 16 band groups (4 bands each),
//             mean log-mel, index 128 + segment*16 + group
//   [224,240) positive spectral flux per band group: mean over frames and the group's bands of
//             max(0, L[t,b] - L[t-1,b])
//   [240,248) spectral shape (mel-energy based, band index scaled to 0..1): 240 centroid mean,
//             241 spread mean, 242 flatness mean (mean log - log mean, <= 0), 243 85 % roll-off mean,
//             244 frame log-energy mean, 245 log-energy std, 246 centroid std, 247 low-energy ratio
//             (fraction of frames below the mean log-energy)
//   [248,256) onset strength o[t] = mean over bands of max(0, L[t,b] - L[t-1,b]): 248 mean, 249 std,
//             250 max, 251 90th percentile; bass bands 0-15 onset: 252 mean, 253 std;
//             treble bands 48-63 onset: 254 mean, 255 std
// audio-logmel-v2 continues with rhythm relative to the beat period L (the strongest onset
// autocorrelation lag in 30..120 frames = 200..50 BPM, weighted by a log-normal prior around 120 BPM
// with 1 octave std, refined to a fraction of a frame by a parabola through the peak), which
// describes the rhythm pattern independently of the tempo. These autocorrelations use onset
// envelopes smoothed by a Gaussian of 1.5 frames (robust to onsets falling between frames):
//   [256,266) normalised autocorrelation of o over the rhythm context at m * L for
//             m = 0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4 (0 where undefined)
//   [266,272) the same for the bass onset at m = 0.5, 1, 1.5, 2, 3, 4
//   [272,276) 272 BPM/100 (6000 / L / 100; 0 if no beat), 273 autocorrelation at L (pulse clarity),
//             274 treble-onset autocorrelation at L, 275 fraction of the 3 s rhythm context filled
// Why v2: on the genre generator's held-out set (unseen soundfont and tempo band) a per-token MLP
// reached 0.62 with all of v1 but 0.92 with v2's features: v1's absolute-lag autocorrelation lets a
// model learn the training tempi instead of the rhythm.
// audio-logmel-v1 continues with:
//   [256,304) normalised autocorrelation of o over the rhythm context at 48 log-spaced lags from
//             15 to 150 frames (400 to 40 beats per minute): lag_i = 15 * 10^(i/47)
//   [304,320) the same for the bass onset at 16 log-spaced lags 15 * 10^(i/15)
//   [320,324) tempo: 320 BPM/100 of the strongest autocorrelation lag in 30..120 frames, weighted by
//             a log-normal prior around 120 BPM (1 octave std) against octave errors (0 if none),
//             321 its autocorrelation (pulse clarity), 322 autocorrelation at twice that lag,
//             323 fraction of the 3 s rhythm context filled with audio so far (warm-up indicator)
// Token time_s = the end of the patch's last sample (first token at 0.975 s, then every hop).
// Resampling to 16 kHz: polyphase Kaiser-windowed sinc, pass band to ~7.26 kHz, stop band from
// ~7.94 kHz (~-90 dB); 16 kHz input is used as is. Non-finite samples are treated as silence.

struct AudioFeatureParams {
    int model_rate_hz = 16000;        // VGGish convention
    double token_hop_s = 0.25;        // time between tokens
    double patch_s = 0.96;            // log-mel patch length
    // Token layout: "audio-logmel-v2" (default, 276 floats) or "audio-logmel-v1" (324 floats).
    std::string descriptor = "audio-logmel-v2";
    // Optional: a backbone manifest (see colive/backbone.h). When set, the token is the ONNX
    // network's output on each log-mel patch instead of the built-in descriptor.
    std::string backbone_manifest;
};

class AudioFeatures {
public:
    explicit AudioFeatures(AudioFeatureParams params = {});
    ~AudioFeatures();
    static const char* id();          // the default descriptor's id, "audio-logmel-v2"
    int dim() const;
    // Pushes interleaved float samples in [-1, 1] at `rate_hz` with `channels` channels. Calls
    // `on_token` for every token that becomes due. Changing rate/channels resets the resampler.
    void push(std::span<const float> interleaved, int channels, int rate_hz,
              const std::function<void(const Token&)>& on_token);
    // End of input (files): pads with zeros just enough to emit the tokens whose patches the
    // input fully covered but the resampler still held back. Call reset() before reusing.
    void flush(const std::function<void(const Token&)>& on_token);
    std::string feature_id() const;   // params.descriptor, or "onnx:<manifest name>" with a backbone
    void reset();
    // The latest log-mel frames (for a spectrogram view): rows = frames, cols = mel bands.
    void latest_logmel(std::vector<float>& out, int& rows, int& cols) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace colive
