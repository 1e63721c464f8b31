# Shared by the scikit-learn peer scripts: the median of 5 timed batches, each at least 0.2 s
# (the same rule as the R scripts' timed()); a fit that alone takes ≥ 1 s is timed once.
import statistics
import time


def _batch_seconds(f, inner):
    """Seconds per call of f over one batch of `inner` calls."""
    t = time.perf_counter(); [f() for _ in range(inner)]
    return (time.perf_counter() - t) / inner


def _batch_length(f):
    """The smallest power of two of calls of f that take at least 0.2 s."""
    inner = 1
    while _batch_seconds(f, inner) * inner < 0.2:
        inner *= 2
    return inner


def timed(f):
    t = time.perf_counter(); f(); first = time.perf_counter() - t
    if first >= 1.0: return first
    inner = _batch_length(f)
    return statistics.median(_batch_seconds(f, inner) for _ in range(5))


def timed_pair(f, g, batches=9):
    """f against g in alternating batches (the same batch length, at least 0.2 s for the slower),
    so that a change in the machine's load hits both: (median f, median g, median of f/g)."""
    inner = min(_batch_length(f), _batch_length(g))
    tf, tg = [], []
    for _ in range(batches):
        tf.append(_batch_seconds(f, inner))
        tg.append(_batch_seconds(g, inner))
    return statistics.median(tf), statistics.median(tg), statistics.median(a / b for a, b in zip(tf, tg))
