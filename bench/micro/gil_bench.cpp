// gil_bench.cpp: the GIL's own costs, with Google Benchmark.
//
//   build/release/bench/toy_micro_bench --benchmark_filter=Gil
//
// - BM_GilReleaseAcquireUncontended: one thread releases and re-takes the GIL, as every
//   blocking call does (time.sleep(0), a file read): the price of a GilRelease guard.
// - BM_GilCheckpointSlowPathUncontended: the check point's slow path with nobody waiting
//   (the countdown ran out): what a single-threaded program pays every reload.
// - BM_GilHandOffPingPong: two threads wake each other through semaphores, each taking the
//   GIL while it runs: a round trip of two hand-offs, the floor under a Condition ping-pong.
#include <benchmark/benchmark.h>

#include <atomic>
#include <semaphore>
#include <thread>

#include "runtime/gil.h"
#include "runtime/thread_state.h"

namespace toy {
namespace {

void BM_GilReleaseAcquireUncontended(benchmark::State& state) {
    Gil gil;
    ThreadState ts;
    gil.acquire(&ts);
    for (auto _ : state) {
        gil.release(&ts, GilReleaseReason::kBlocking);
        gil.acquire(&ts);
    }
    gil.release(&ts, GilReleaseReason::kExit);
}
BENCHMARK(BM_GilReleaseAcquireUncontended);

void BM_GilCheckpointSlowPathUncontended(benchmark::State& state) {
    Gil gil;
    ThreadState ts;
    gil.acquire(&ts);
    for (auto _ : state) {
        gil.yield_from_checkpoint(&ts);
        benchmark::DoNotOptimize(gil.countdown_reload());
    }
    gil.release(&ts, GilReleaseReason::kExit);
}
BENCHMARK(BM_GilCheckpointSlowPathUncontended);

// A round trip as a lock wait does it: each side releases the GIL, blocks on its semaphore,
// and takes the GIL back when woken; the other side, holding the GIL, posts it. One iteration
// is two such hand-offs (wake-up latency included), the floor under a Condition ping-pong.
void BM_GilHandOffPingPong(benchmark::State& state) {
    Gil gil;
    ThreadState main_ts, partner_ts;
    std::binary_semaphore to_partner{0}, to_main{0};
    std::atomic<bool> stop{false};
    std::thread partner([&] {
        for (;;) {
            to_partner.acquire();  // blocked without the GIL
            if (stop.load()) break;
            gil.acquire(&partner_ts);
            to_main.release();
            gil.release(&partner_ts, GilReleaseReason::kLockWait);
        }
    });
    gil.acquire(&main_ts);
    for (auto _ : state) {
        to_partner.release();
        gil.release(&main_ts, GilReleaseReason::kLockWait);
        to_main.acquire();
        gil.acquire(&main_ts);
    }
    gil.release(&main_ts, GilReleaseReason::kExit);
    stop.store(true);
    to_partner.release();
    partner.join();
}
BENCHMARK(BM_GilHandOffPingPong)->UseRealTime();

}  // namespace
}  // namespace toy
