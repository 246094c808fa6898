#!/usr/bin/env python3
"""Per-request figures from a `dotnet-counters collect --format csv` file of System.Runtime, taken while the
process served a steady load of RPS requests per second.

    python3 bench/counters-summary.py counters.csv RPS

Rates are averaged over the samples taken under load (the first and last second are dropped) and divided by
the request rate: bytes allocated and thread-pool work items per request, collections per 10,000 requests.
"""
import csv
import statistics
import sys


def main(path, rps):
    series = {}
    for row in csv.reader(open(path, newline="")):
        if len(row) < 5 or row[0] == "Timestamp":
            continue
        try:
            series.setdefault(row[2], []).append(float(row[4]))
        except ValueError:
            continue

    def mean(prefix):
        values = next((v for k, v in series.items() if k.startswith(prefix)), None)
        if not values:
            return None
        steady = values[1:-1] if len(values) > 3 else values
        return statistics.fmean(steady)

    def show(label, value, fmt):
        print(f"{label:<44} {format(value, fmt) if value is not None else 'n/a'}")

    per = lambda v, scale=1: None if v is None or rps <= 0 else v / rps * scale
    print(f"{'requests/s (from the load client)':<44} {rps:,.0f}")
    show("allocated bytes per request", per(mean("dotnet.gc.heap.total_allocated")), ",.0f")
    show("thread-pool work items per request", per(mean("dotnet.thread_pool.work_item.count")), ".2f")
    show("gen0 collections per 10k requests", per(mean("dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen0]"), 10_000), ".2f")
    show("gen1 collections per 10k requests", per(mean("dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen1]"), 10_000), ".2f")
    show("gen2 collections per 10k requests", per(mean("dotnet.gc.collections ({collection} / 1 sec)[gc.heap.generation=gen2]"), 10_000), ".2f")
    pause = mean("dotnet.gc.pause.time")
    show("time paused for GC (%)", None if pause is None else pause * 100, ".2f")
    show("lock contentions per 10k requests", per(mean("dotnet.monitor.lock_contentions"), 10_000), ".1f")
    jit = mean("dotnet.jit.compilation.time")
    show("time compiling (JIT, % of one core)", None if jit is None else jit * 100, ".2f")
    user, system = mean("dotnet.process.cpu.time (s / 1 sec)[cpu.mode=user]"), mean("dotnet.process.cpu.time (s / 1 sec)[cpu.mode=system]")
    if user is not None and system is not None:
        show("CPU s per 10k requests (user + system)", per(user + system, 10_000), ".3f")
        show("  of which system (kernel) %", system / (user + system) * 100 if user + system > 0 else None, ".0f")
    working_set = mean("dotnet.process.memory.working_set")
    show("working set MiB", None if working_set is None else working_set / 1048576, ".0f")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
