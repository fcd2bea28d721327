// SPDX-License-Identifier: MIT
// OpenCV's thread use as seen by ThreadSanitizer.
#pragma once

namespace colive {

// In ThreadSanitizer builds, makes OpenCV run its parallel_for_ bodies on the calling thread
// (cv::setNumThreads(0), once per process); does nothing otherwise. Debian's OpenCV runs them on
// TBB worker threads that are not instrumented: TSan sees a cv::Mat allocated on a worker and freed
// on the caller (imgproc in VideoFeatures, DNN in the backbone and the keypoint networks) but not the TBB join
// that orders the two, and reports false races. Serial OpenCV keeps every report about CoLive's
// own threads meaningful. Called by every extractor that uses OpenCV before its first OpenCV call.
void opencv_threads_for_sanitizers();

}  // namespace colive
