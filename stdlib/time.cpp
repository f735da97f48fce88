// time.cpp: the `time` module (clocks and sleep).
#include <errno.h>
#include <time.h>

#include <cmath>

#include "runtime/abstract.h"
#include "runtime/errors.h"
#include "runtime/gil.h"
#include "runtime/signals.h"
#include "runtime/float.h"
#include "runtime/int.h"
#include "runtime/module.h"
#include "runtime/native_function.h"
#include "runtime/str.h"
#include "stdlib/registry.h"
#include "stdlib/util.h"

namespace toy {

using detail::unpack_args;

namespace {

int64_t clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

double clock_s(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

#define TOY_CLOCK(fname, id)                                              \
    Ref t_##fname(Value, CallArgs a) {                                    \
        if (!unpack_args(#fname, a, 0, 0)) return nullptr;                \
        return make_float(clock_s(id));                                   \
    }                                                                     \
    Ref t_##fname##_ns(Value, CallArgs a) {                               \
        if (!unpack_args(#fname "_ns", a, 0, 0)) return nullptr;          \
        return make_int(clock_ns(id));                                    \
    }

TOY_CLOCK(time, CLOCK_REALTIME)
TOY_CLOCK(perf_counter, CLOCK_MONOTONIC)
TOY_CLOCK(monotonic, CLOCK_MONOTONIC)
TOY_CLOCK(process_time, CLOCK_PROCESS_CPUTIME_ID)
TOY_CLOCK(thread_time, CLOCK_THREAD_CPUTIME_ID)

Ref t_sleep(Value, CallArgs a) {
    if (!unpack_args("sleep", a, 1, 1)) return nullptr;
    Value v = a.args[0];
    double secs;
    if (v.is_double()) {
        secs = v.as_double();
        if (std::isnan(secs)) return raise(&exc::ValueError, "Invalid value NaN (not a number)");
    } else if (is_int(v)) {
        int64_t i;
        if (!int_value(v, &i)) return nullptr;
        secs = static_cast<double>(i);
    } else if (type_of(v)->to_float) {
        if (!to_double(v, &secs)) return nullptr;
    } else {
        return raisef(&exc::TypeError, "'{}' object cannot be interpreted as an integer",
                      type_name(v));
    }
    if (secs < 0) return raise(&exc::ValueError, "sleep length must be non-negative");
    if (secs > 9.2e9) return raise(&exc::OverflowError, "timestamp too large to convert to C _PyTime_t");
    // An absolute deadline on the monotonic clock, so that EINTR (a signal) does not extend
    // the total sleep: PEP 475.
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    auto ns = static_cast<int64_t>(secs * 1e9);
    deadline.tv_sec += static_cast<time_t>(ns / 1000000000);
    deadline.tv_nsec += static_cast<long>(ns % 1000000000);
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_nsec -= 1000000000;
        ++deadline.tv_sec;
    }
    for (;;) {
        int r;
        {
            // Other threads run meanwhile (behaviour B7); nothing here touches an object.
            GilRelease unlocked(GilReleaseReason::kSleep);
            r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr);
        }
        if (r == 0) break;
        if (r != EINTR) return raise_errno(r);
        // A signal: run its handler (KeyboardInterrupt in the main thread), else sleep on.
        if (!handle_pending_signals()) return nullptr;
    }
    return Ref::none();
}

const MethodDef kTimeFunctions[] = {
    {"time", t_time},
    {"time_ns", t_time_ns},
    {"perf_counter", t_perf_counter},
    {"perf_counter_ns", t_perf_counter_ns},
    {"monotonic", t_monotonic},
    {"monotonic_ns", t_monotonic_ns},
    {"process_time", t_process_time},
    {"process_time_ns", t_process_time_ns},
    {"thread_time", t_thread_time},
    {"thread_time_ns", t_thread_time_ns},
    {"sleep", t_sleep},
    {nullptr, nullptr},
};

}  // namespace

void init_time_types() {}

RefT<Module> create_time_module() {
    RefT<Module> m = new_module("time");
    if (!m) return nullptr;
    if (!module_add_functions(m.get(), kTimeFunctions)) return nullptr;
    return m;
}

}  // namespace toy
