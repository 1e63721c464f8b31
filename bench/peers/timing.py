# Shared by the scikit-learn peer scripts: the median of 5 timed batches, each at least 0.2 s
# (the same rule as the R scripts' timed()); a fit that alone takes ≥ 1 s is timed once.
import statistics
import time


def timed(f):
    t = time.perf_counter(); f(); first = time.perf_counter() - t
    if first >= 1.0: return first
    inner = 1
    while True:
        t = time.perf_counter(); [f() for _ in range(inner)]
        if time.perf_counter() - t >= 0.2: break
        inner *= 2
    ts = []
    for _ in range(5):
        t = time.perf_counter(); [f() for _ in range(inner)]; ts.append((time.perf_counter() - t) / inner)
    return statistics.median(ts)
