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


def timed_pair(f, g, batches=9):
    """f against g in alternating batches (the same batch length, at least 0.2 s for the slower),
    so that a change in the machine's load hits both: (median f, median g, median of f/g)."""
    def batch_length(h):
        inner = 1
        while True:
            t = time.perf_counter(); [h() for _ in range(inner)]
            if time.perf_counter() - t >= 0.2: return inner
            inner *= 2
    inner = min(batch_length(f), batch_length(g))
    tf, tg = [], []
    for _ in range(batches):
        for h, ts in ((f, tf), (g, tg)):
            t = time.perf_counter(); [h() for _ in range(inner)]; ts.append((time.perf_counter() - t) / inner)
    return statistics.median(tf), statistics.median(tg), statistics.median(a / b for a, b in zip(tf, tg))
