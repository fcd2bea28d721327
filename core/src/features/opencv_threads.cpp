// SPDX-License-Identifier: MIT
#include "opencv_threads.h"

#include <opencv2/core.hpp>

#include <mutex>

#if defined(__SANITIZE_THREAD__)
#define COLIVE_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define COLIVE_TSAN 1
#endif
#endif
#ifndef COLIVE_TSAN
#define COLIVE_TSAN 0
#endif

namespace colive {

void opencv_threads_for_sanitizers() {
#if COLIVE_TSAN
    static std::once_flag flag;
    std::call_once(flag, [] { cv::setNumThreads(0); });
#endif
}

}  // namespace colive
