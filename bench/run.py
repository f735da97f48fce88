#!/usr/bin/env python3
"""Runs the bench/programs suite under toy, python3 and lua5.4, interleaved, and reports
medians, the Toy/CPython and Toy/Lua time ratios per program and their geometric means,
plus start-up time and peak RSS of `toy -c pass` vs `python3 -c pass`.

Usage:
  bench/run.py [--toy build/release/toy] [--reps 5] [--quick] [--only fib,nbody]
               [--suite programs|threads|processes|...] [--baseline PATH]
               [--write bench/RESULTS.md]

--suite NAME runs the programs of bench/NAME/. `threads` holds the GIL and threads
(CPU-bound threads vs sequential, native GIL-releasing work, 100 sleepers, a Condition
ping-pong, 1,000 thread start+join); `processes` the process layer. In any suite, a program
`<stem>_sequential` and programs `<stem>_<variant>` form a group: a second table gives each
variant's speedup over its sequential twin (sequential time / variant time), per
implementation, e.g. cpu_threads_2 vs cpu_sequential shows the GIL.

--baseline PATH runs a second toy binary as one more implementation and adds a toy/baseline
column: built with -DTOY_NO_CHECKPOINT=ON it measures the cost of the per-instruction check
point (`cmake -B build/nocheck -DCMAKE_BUILD_TYPE=Release -DTOY_NO_CHECKPOINT=ON`); the same
binary with `--baseline-args=--gil-policy=tick` compares the two GIL policies.

Runs are interleaved (rep 1 of every program under every implementation, then rep 2, ...)
so that machine noise hits all of them alike. Each program's output under toy must equal
its output under python3, otherwise the program is reported as FAILED and left out of the
means. --quick runs small sizes once: a smoke check for CI, not a measurement.
"""
import argparse
import datetime
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# name -> argument for --quick (the full size is each program's default)
QUICK_ARGS = {
    "fib": "20", "loops": "2000", "nbody": "2000", "spectral_norm": "40",
    "binary_trees": "8", "dict_string": "20000", "method_calls": "20000",
    "cpu_sequential": "100000", "cpu_threads_2": "100000", "cpu_threads_4": "100000",
    "pingpong": "200", "thread_start": "20", "process_start": "20", "native_sequential": "5", "native_threads_2": "5",
    "pickle_roundtrip": "100000",
    "pool_sequential": "2000000", "pool_map": "2000000",
    "pipe_throughput": "8",
    "gather_sleep": "1000", "task_roundtrip": "10000", "echo_server": "20",
    "deque_ops": "100000", "itertools_ops": "40000",
}


def run_once(cmd, timeout=600):
    """Returns (seconds, stdout, returncode, peak_rss_kib) of one run."""
    start = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate(timeout=timeout)
    elapsed = time.perf_counter() - start
    # Popen reaped the child; its rusage is not kept, so RSS comes from a separate probe.
    return elapsed, out.decode(errors="replace"), p.returncode, err.decode(errors="replace")


def peak_rss_kib(cmd):
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    return usage.ru_maxrss


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def version_of(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (r.stdout or r.stderr).strip().splitlines()[0]
    except Exception as e:  # noqa: BLE001 - report, don't fail
        return f"unavailable ({e.__class__.__name__})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--toy", default=os.path.join(HERE, "..", "build", "release", "toy"))
    ap.add_argument("--python", default="python3")
    ap.add_argument("--lua", default="lua5.4")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="")
    ap.add_argument("--write", default="")
    ap.add_argument("--suite", default="programs",
                    choices=sorted(d for d in os.listdir(HERE)
                                   if os.path.isdir(os.path.join(HERE, d))
                                   and any(f.endswith(".toy") for f in os.listdir(os.path.join(HERE, d)))))
    ap.add_argument("--baseline", default="", help="a second toy binary (adds toy/baseline)")
    ap.add_argument("--baseline-args", default="",
                    help="options for the baseline, e.g. --baseline-args=--gil-policy=tick")
    args = ap.parse_args()
    if args.quick:
        args.reps = 1

    toy = os.path.abspath(args.toy)
    have_lua = shutil.which(args.lua) is not None
    programs = os.path.join(HERE, args.suite)
    names = sorted(f[:-4] for f in os.listdir(programs) if f.endswith(".toy"))
    if args.only:
        wanted = set(args.only.split(","))
        names = [n for n in names if n in wanted]

    impls = [("toy", [toy]), ("python3", [args.python])]
    if args.baseline:
        impls.append(("baseline", [os.path.abspath(args.baseline)] + args.baseline_args.split()))
    if have_lua:
        impls.append(("lua", [args.lua]))

    times = {n: {i: [] for i, _ in impls} for n in names}
    failed = {}
    for rep in range(args.reps):
        for n in names:
            extra = [QUICK_ARGS[n]] if args.quick and n in QUICK_ARGS else []
            order = impls[rep % len(impls):] + impls[:rep % len(impls)]
            outputs = {}
            for impl, cmd in order:
                src = os.path.join(programs, n + (".lua" if impl == "lua" else ".toy"))
                if impl == "lua" and not os.path.exists(src):
                    continue
                t, out, rc, err = run_once(cmd + [src] + extra)
                if rc != 0:
                    failed[n] = f"{impl} exited {rc}: {err.strip().splitlines()[-1:] }"
                    continue
                outputs[impl] = out
                times[n][impl].append(t)
            if "toy" in outputs and outputs["toy"] != outputs.get("python3"):
                failed.setdefault(n, "toy's output differs from python3's")
        print(f"rep {rep + 1}/{args.reps} done", file=sys.stderr)

    rows = []
    py_ratios, lua_ratios, base_ratios = [], [], []
    medians = {}
    for n in names:
        med = {i: statistics.median(v) for i, v in times[n].items() if v}
        medians[n] = med
        if n in failed or "toy" not in med or "python3" not in med:
            rows.append(f"| {n} | FAILED: {failed.get(n, 'no timing')} | | | | |")
            continue
        r_py = med["toy"] / med["python3"]
        py_ratios.append(r_py)
        lua_cell, r_lua_cell = "-", "-"
        if "lua" in med:
            r_lua = med["toy"] / med["lua"]
            lua_ratios.append(r_lua)
            lua_cell, r_lua_cell = f"{med['lua']:.3f}", f"{r_lua:.2f}"
        base_cells = ""
        if args.baseline:
            if "baseline" in med:
                r_base = med["toy"] / med["baseline"]
                base_ratios.append(r_base)
                base_cells = f" {med['baseline']:.3f} | {r_base:.3f} |"
            else:
                base_cells = " - | - |"
        rows.append(f"| {n} | {med['toy']:.3f} | {med['python3']:.3f} | {lua_cell} | "
                    f"{r_py:.2f} | {r_lua_cell} |{base_cells}")

    # Start-up: median of 20 runs of `-c pass`, and peak RSS.
    startup = {}
    for impl, cmd in impls[:2]:
        ts = []
        for _ in range(20):
            t, _, rc, _ = run_once(cmd + ["-c", "pass"])
            ts.append(t)
        startup[impl] = (statistics.median(ts) * 1000, peak_rss_kib(cmd + ["-c", "pass"]) / 1024)

    lines = []
    base_head = " baseline s | toy/baseline |" if args.baseline else ""
    lines.append(f"| program | toy s | python3 s | lua5.4 s | toy/python3 | toy/lua |{base_head}")
    lines.append("|---|---|---|---|---|---|" + ("---|---|" if args.baseline else ""))
    lines += rows
    lua_mean = f"**{geomean(lua_ratios):.2f}**" if lua_ratios else "-"
    base_mean = f" | **{geomean(base_ratios):.3f}** |" if base_ratios else (" | - |" if args.baseline else "")
    lines.append(f"| **geometric mean** | | | | **{geomean(py_ratios):.2f}** | {lua_mean} |{base_mean}")
    # Speedups of each `<stem>_<variant>` over `<stem>_sequential`, per implementation.
    groups = []
    for n in names:
        if not n.endswith("_sequential"):
            continue
        stem = n[: -len("_sequential")]
        for v in names:
            if v != n and v.startswith(stem + "_") and v not in failed and n not in failed:
                groups.append((n, v))
    if groups:
        shown = [i for i, _ in impls if i != "lua"]
        lines.append("")
        lines.append("| variant | vs | " + " | ".join(f"{i} speedup" for i in shown) + " |")
        lines.append("|---|---|" + "---|" * len(shown))
        for seq, v in groups:
            cells = []
            for i in shown:
                a, b = medians[seq].get(i), medians[v].get(i)
                cells.append(f"{a / b:.2f}" if a and b else "-")
            lines.append(f"| {v} | {seq} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| start-up (`-c pass`) | median ms | peak RSS MiB |")
    lines.append("|---|---|---|")
    for impl, (ms, rss) in startup.items():
        lines.append(f"| {impl} | {ms:.1f} | {rss:.1f} |")
    report = "\n".join(lines)
    print(report)

    if args.write:
        cmdline = "bench/run.py " + " ".join(a for a in sys.argv[1:])
        header = [
            f"## {datetime.date.today().isoformat()}: bench/{args.suite}",
            "",
            f"- command: `{cmdline}`",
            f"- machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}",
            f"- toy: {version_of([toy, '--version'])}",
            f"- python3: {version_of([args.python, '--version'])}",
            f"- lua: {version_of([args.lua, '-v']) if have_lua else 'not installed'}",
            *([f"- baseline: {os.path.abspath(args.baseline)} {args.baseline_args}"] if args.baseline else []),
            f"- repetitions: {args.reps} (medians), interleaved",
            "",
            "",
        ]
        with open(args.write, "a") as f:
            f.write("\n".join(header) + report + "\n\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
