#!/usr/bin/env python3
"""Splits a perf profile of the sidecar into pipeline stages: what share of its CPU each stage costs.

    perf script -i perf.data | python3 bench/profile-stages.py

A sample counts for the innermost frame on its stack that names a stage (so the forwarder's I/O, which runs
inside the policy middleware's continuation, counts as forwarding, not policy). A sample whose leaf is in the
kernel counts as kernel time (socket system calls, scheduling), and samples on the GC's and the JIT's own
threads count as such. The rest is the runtime and ASP.NET Core's own request handling.
"""
import re
import sys
from collections import Counter

# Innermost match wins; order only breaks ties inside one frame.
STAGES = [
    ("policy", re.compile(r"\[SidecarProxy\.Rego\]|SidecarProxy\.Policy\.(PolicyInputBuilder|PolicyRequestFactory|"
                          r"DecisionDocument|EnginePolicyDecisionPoint|Embedded\.|Opa\.)")),
    ("credential", re.compile(r"SidecarProxy\.(Credentials\.|Transforms\.InjectCredentialTransform|TaskGrants\.)")),
    ("audit", re.compile(r"SidecarProxy\.Audit\.")),
    ("metrics", re.compile(r"SidecarProxy\.Observability\.(SidecarMetrics|SeriesCache|ToolSeries)|\[prometheus-net\]|Prometheus\.")),
    ("other sidecar stages", re.compile(r"\[SidecarProxy\] SidecarProxy\.(Pipeline|Routing|Transforms|Identity|Denials|Revocation|Policy\.PolicyDecisionMiddleware)")),
    ("forwarder (YARP, HttpClient)", re.compile(r"\[Yarp\.ReverseProxy\]|\[System\.Net\.Http\]")),
    ("TLS (SslStream, OpenSSL)", re.compile(r"\[System\.Net\.Security\]|libssl|libcrypto")),
    ("server (Kestrel, routing)", re.compile(r"\[Microsoft\.AspNetCore\.")),
]


def stage_of(thread, frames):
    if thread.startswith(".NET Server GC") or thread.startswith(".NET BGC"):
        return "GC threads"
    if thread.startswith(".NET Tiered Com") or "libclrjit" in (frames[0] if frames else ""):
        return "JIT"
    if frames and re.search(r"\[k\]|kallsyms|^\s*[0-9a-f]+ [a-z_0-9.]+\+0x[0-9a-f]+ \(\[kernel", frames[0]):
        return "kernel (system calls, scheduling)"
    for frame in frames:
        for name, pattern in STAGES:
            if pattern.search(frame):
                return name
    return "runtime and other"


def samples(lines):
    thread, frames = None, []
    for line in lines:
        if not line.strip():
            if thread is not None:
                yield thread, frames
            thread, frames = None, []
        elif thread is None:
            thread = re.sub(r"\s+\d+\s+[\d.]+:.*$", "", line.strip())
        else:
            frames.append(line.strip())
    if thread is not None:
        yield thread, frames


def main():
    counts = Counter()
    for thread, frames in samples(sys.stdin):
        counts[stage_of(thread, frames)] += 1
    total = sum(counts.values())
    if total == 0:
        print("no samples")
        return
    print(f"{total} samples")
    for name, n in counts.most_common():
        print(f"{n / total * 100:6.1f} %  {name}")
    ours = counts["policy"] + counts["credential"]
    print(f"{ours / total * 100:6.1f} %  = policy + credential stages")


if __name__ == "__main__":
    main()
