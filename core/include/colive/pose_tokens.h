// SPDX-License-Identifier: MIT
// PoseTokenizer: a stream of body keypoints (PoseFrame, any frame rate) -> tokens at the token rate
// (default 10 Hz) for the pose action model. Layouts "pose-kp-v1" (128 floats), "pose-kp-v2" (v1 +
// 62 floats relative to each hand's rest position, 190) and "pose-kp-v3" (v2 + 27 floats from the hand
// landmark network, 217), documented below; a model names its layout.
// An independent numpy implementation of the same layout is scripts/pose_tokens_reference.py
// (it writes the golden files tests/features checks this code against).
#pragma once

#include "colive/features.h"
#include "colive/hand.h"
#include "colive/pose.h"

#include <functional>
#include <memory>
#include <string>

namespace colive {

struct PoseTokenParams {
    double token_rate_hz = 10.0;      // tokens per second, independent of the frame rate
    float score_threshold = 0.2f;     // a keypoint is visible in a frame when its score >= this (MoveNet
                                      // scores of hands/elbows are low: median 0.2-0.3 on real clips)
    int version = 1;                  // 1: pose-kp-v1 (128 floats), 2: pose-kp-v2 (190), 3/4: pose-kp-v3/-v4 (217)
};

// pose-kp-v1 (128 floats). Only keypoints 0-12 are used (nose, eyes, ears, shoulders, elbows, wrists,
// hips; knees/ankles are ignored).
//
// Person frame. Per frame, with "visible" = PoseFrame::present and score >= score_threshold:
//   scale S = exp(ls): ls tracks log(shoulder width |p5 - p6|) over frames where both shoulders are
//     visible: ls += a (clamp(log w, ls - 0.25, ls + 0.25) - ls), a = 1 - exp(-dt / 0.5 s) (dt since the
//     previous shoulder frame); (re)started at log w on the first such frame or after 2 s without one.
//   centre c: from both shoulders (their midpoint), else from one shoulder shifted by S/2 towards
//     the body's middle (the left shoulder, 5, is on the IMAGE RIGHT of a raw frame: c = p5 - (S/2, 0);
//     c = p6 + (S/2, 0)); smoothed as c += a (c_frame - c), a = 1 - exp(-dt / 0.15 s); restarted after
//     2 s without a centre. A frame is "usable" once both a scale and a centre exist.
//   normalised coordinates, in shoulder widths, from the USER's point of view:
//     u = (x - c.x) / S  (> 0: towards the user's own LEFT = the image right of a raw, unmirrored frame)
//     v = -(y - c.y) / S (> 0: up)
//   So `swipe_left` (the user's hand moves to the user's left) has du/dt > 0. Features are computed on
//   raw frames; a mirrored preview does not change them.
//
// Token k (time t0 + k / rate, t0 = the first frame after a reset) summarises the frames with time in
// (t0 + (k-1)/rate, t0 + k/rate] (the first frame joins token 1). "Visible in the token" = in at
// least one frame of it. Everything that needs a keypoint not visible in the token is 0.
//   [0,52)   per keypoint j = 0..12, at 4j: mean u, mean v (over the frames where it is visible),
//            visible fraction (of the token's frames), mean score (over usable frames)
//   [52,62)  velocity (du/dt, dv/dt; shoulder widths per s) from the previous token's mean position
//            to this one's, for nose, l-elbow, r-elbow, l-wrist, r-wrist (52, 54, 56, 58, 60)
//   [62,82)  arm geometry of the LEFT arm (5, 7, 9) at 62 and the RIGHT arm (6, 8, 10) at 72, 10 each:
//            +0/+1 wrist - shoulder (u, v), +2/+3 wrist - elbow, +4 forearm length |w - e|,
//            +5 upper arm length |e - s|, +6 cosine of the elbow angle, +7 d(forearm length)/dt since
//            the previous token (a push/pull points the forearm towards/away from the camera: its
//            apparent length shrinks/grows), +8/+9 wrist - nose (hand at the face)
//   [82,100) short history of each wrist over the last 10 tokens (1 s, this one included), LEFT at
//            82, RIGHT at 91, 9 each: +0/+1 sign flips of du/dt / dv/dt / 9 (only velocities with
//            |component| > 0.5 count, consecutive signed ones compared), +2/+3 std of u / v,
//            +4/+5 displacement (u, v) over the last 0.5 s (token k - 5 to k), +6 path length
//            (sum |velocity| / rate), +7 largest speed, +8 forearm length change over 0.5 s
//   [100,111) the ACTIVE hand (larger path length [88] vs [97]; the right hand on ties), whichever it
//            is: +0/+1 velocity, +2/+3 displacement over 0.5 s, +4/+5 sign flips, +6 path length,
//            +7 forearm length, +8 forearm change over 0.5 s, +9 wrist - shoulder v, +10 the other
//            hand's path length
//   [111,114) both hands: wrist distance |w_l - w_r|, its change over 0.5 s, sign flips of its rate
//            over 1 s / 9 (a clap)
//   [114,120) 114 nobody there (1 when no usable frame in the token: all of [0,114) and [120,128)
//            are then 0),
//            115 fraction of usable frames, 116 mean visible fraction of keypoints 0-10,
//            117 d(log S)/dt since the previous token (leaning in/back), 118 mean raw shoulder width
//            / S over the frames with both shoulders (0 without: turning the body shrinks it),
//            119 time since the last usable frame (s, at most 2) / 2 (1 before any)
//   [120,128) the strongest movement in the last 10 tokens (a stroke is the fastest part of a swipe,
//            faster than the hand's way out and back): 120/121 velocity of the ACTIVE wrist at the
//            token where its speed was largest (the newest on ties), 122 how many tokens ago / 9,
//            123 the active arm's d(forearm length)/dt of largest magnitude (signed), 124/125 the
//            other wrist's velocity at its fastest token, 126 the other arm's d(forearm)/dt of largest
//            magnitude, 127 fraction of the last 10 tokens (1 s) in which the active wrist was visible
//            (all 0 in a nobody token, and velocities only from tokens where they exist)
// History entries (velocities, displacements, flips) count only tokens in which the keypoints were
// visible; a nobody token breaks them. A token interval without any frame (frames slower than the
// token rate) repeats the previous interval's observations. A restart (time going backwards or a
// gap over max(2 s, 3 token periods)) resets everything, as reset() does.
//
// pose-kp-v2 (190 floats) = pose-kp-v1 in [0,128) + [128,190): where each hand is relative to where it
// RESTS (real people rest their hands on a lap, desk or wheel anywhere in front of them; a gesture is
// an excursion away from that place and back), robust against single-token detector jumps. Per token,
// from the token means of v1 ("visible" = present and the keypoint visible in the token):
//   robust position R (wrists 9/10, elbows 7/8): the component-wise median of the keypoint's token
//     means over the last 3 tokens (this one included) in which it was visible, when it was visible in
//     at least 2 of them (the mean of the two when 2); else none.
//   rest position: starts at the first R, then rest += A (R - rest), A = 1 - exp(-period / 4 s), on
//     every token with an R (after the update the displacement is d = R - rest); forgotten after 40
//     tokens (4 s) without an R.
//   over the last 15 tokens (1.5 s, this one included), extremes relative to the CURRENT rest.
// Per arm (LEFT at 128, RIGHT at 148; 20 each; 0 where the rest or R is missing):
//   +0/+1 wrist d (u, v), +2 1 when the wrist has an R and a rest, +3/+4 elbow d (u, v),
//   +5/+6/+7/+8 the largest u, smallest u, largest v, smallest v of R - rest of the wrist over the
//     last 15 tokens, +9..+12 how many tokens ago each of them was (the newest on ties) / 14,
//   +13 dwell: fraction of the last 15 tokens whose wrist R was more than 0.3 widths from rest,
//   +14..+17 the elbow's largest u, smallest u, largest v, smallest v of R - rest over 15 tokens,
//   +18 fraction of the last 15 tokens in which the wrist was visible (a hand close to the camera
//     loses its wrist), +19 the wrist's path: sum of |R_i - R_(i-1)| over consecutive tokens of the
//     last 15 that both have an R
//   168 both wrists on one spot: fraction of the last 10 tokens in which both wrists were visible
//     and their token means closer than 0.2 widths (MoveNet puts both wrists on one hand)
//   [169,189) the ACTIVE arm's 20 values (the arm whose largest |extreme| of wrist and elbow, +5..+8
//     and +14..+17, is larger; the right arm on ties), 189 +1 when it is the left arm, -1 the right.
// All of [128,190) is 0 in a nobody token (the robust positions and rests are still kept).
//
// pose-kp-v3 (217 floats) = pose-kp-v2 in [0,190) + [190,217): what the hand landmark network
// (colive/hand.h, a crop around each wrist MoveNet found) saw. Each frame may carry one
// HandObservation per arm (push with a HandPair; the app runs the network about once per token per
// arm); it counts only in a usable frame, its size in shoulder widths = size_px / S (S of that frame).
// Per token and arm: "looked" = the network ran on a crop of that arm in one of the token's frames,
// "seen" = it found a hand there, size = the mean size of the seen ones. Why: a hand raised into view
// (wave, swipes) is found, a hand resting on a lap or wheel mostly not, and a hand near the camera
// (push) is large (wrist to middle-finger MCP: median 0.47 shoulder widths on the real clips).
// Per arm (LEFT at 190, RIGHT at 199; 9 each), over the token history (nobody tokens count as unseen):
//   +0 1 when seen in this token, +1 its size (0 when not seen),
//   +2 fraction of the last 10 tokens (1 s) in which it was seen, +3 ... in which it was looked for,
//   over the last 15 tokens (1.5 s): +4 the largest size, +5 the newest seen size - the oldest seen
//   size (0 with fewer than 2 seen tokens: > 0 the hand grew, towards the camera), +6 how many tokens
//   ago it was last seen / 14 (1 when not seen), +7 how many tokens ago the largest size was / 14
//   (the newest on ties; 0 when none), +8 the smallest size (0 when none).
//   [208,217) a copy of the arm seen in more of the last 10 tokens (the right arm on ties).
// All of [190,217) is 0 in a nobody token (the history is kept). Frames pushed without a HandPair
// carry no observation.
//
// pose-kp-v4 (217 floats): the same token math as pose-kp-v3; what differs is where the app's hand
// observations come from: HandFinder (colive/hand_finder.h: the wrist crop, then tracking the last
// landmarks, then hand detector boxes matched to the arm) instead of the wrist crop alone, so hands near
// the camera, whose wrist MoveNet loses, are found. A model names which of the two it was trained on.
class PoseTokenizer {
public:
    static constexpr int kDim = 128;      // pose-kp-v1
    static constexpr int kDimV2 = 190;    // pose-kp-v2
    static constexpr int kDimV3 = 217;    // pose-kp-v3
    explicit PoseTokenizer(PoseTokenParams params = {});
    ~PoseTokenizer();
    PoseTokenizer(PoseTokenizer&&) noexcept;
    PoseTokenizer& operator=(PoseTokenizer&&) noexcept;
    static const char* id(int version = 1);      // "pose-kp-v1" ... "pose-kp-v4"
    static int version_of(const std::string& id);   // 1-4, or 0 for another id
    static int dim_of(int version);              // 128 / 190 / 217 / 217
    const char* layout_id() const;               // this tokenizer's id
    int dim() const;                             // 128, 190 or 217
    bool uses_hands() const;                     // pose-kp-v3/-v4: give frames their hand observations
    // One frame at media time t_s (PoseFrame::present = false: nobody in view). Calls `on_token` for
    // every token slot that is complete once this frame is in.
    void push(const PoseFrame& f, double t_s, const std::function<void(const Token&)>& on_token);
    // The same with the hand network's observations of this frame (pose-kp-v3/-v4; ignored by v1/v2).
    void push(const PoseFrame& f, const HandPair& hands, double t_s, const std::function<void(const Token&)>& on_token);
    void reset();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

}  // namespace colive
