"""Federated runs from Python (docs/python.md): FedAU and its baselines over clients given as
NumPy arrays, on the same C++ server as ``convlab fit`` with a ``[federated]`` config
(docs/federated-on-your-data.md), and the partitions that split a data set over clients.

    import numpy as np, convlab
    parts = convlab.federated.partition_iid(len(y), clients=20, seed=1)
    run = convlab.federated.simulate([(X[r], y[r]) for r in parts], problem="multinomial",
                                     participation_rate=0.5, rounds=300, intercept=True,
                                     test=(X_test, y_test))
    run["x"], run["round"], run["objective"], run["test_accuracy"], run["weights"]
"""
import numpy as np

from ._convlab import federated as _impl

__all__ = ["simulate", "partition_iid", "partition_shards", "partition_dirichlet", "partition_by_column",
           "label_probabilities"]

partition_iid = _impl.partition_iid
partition_shards = _impl.partition_shards
partition_dirichlet = _impl.partition_dirichlet
partition_by_column = _impl.partition_by_column
label_probabilities = _impl.label_probabilities


def _as_float64(a, name):
    a = np.ascontiguousarray(a, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or Inf")
    return a


def simulate(clients, problem="logistic", participation_rate=None, rates=None, trace=None, test=None,
             method="fedau", participation="bernoulli", rounds=1000, local_steps=5, batch=16, lr=0.05,
             optimizer="sgd", momentum=0.0, global_lr=1.0, l2=0.0, intercept=False, num_classes=0,
             cutoff=0, markov_a=0.05, period=100, eval_every=10, seed=1):
    """Runs ``rounds`` federated rounds and returns a dict of NumPy arrays.

    clients: a list of ``(X, y)``, one per client (y: labels 0/1 or −1/+1 for "logistic", class ids
    0..K−1 for "multinomial", targets for "least_squares"). Rates: exactly one of
    ``participation_rate`` (one for all), ``rates`` (one per client) or ``trace`` (a rounds × clients
    0/1 array, with ``participation="trace"``). ``test=(X, y)`` adds ``test_accuracy`` (classifiers)
    or ``test_loss`` (least squares) at every evaluation round. The model ``x`` stacks, per output,
    the coefficients and then the intercept (docs/problems.md).

    Returns: status, message, x, x_tail_average, round, objective, participants, the test metric,
    weights (FedAU: evaluation rounds × clients), estimated_weights, probabilities."""
    data = [(_as_float64(X, f"clients[{n}] X"), _as_float64(y, f"clients[{n}] y").ravel()) for n, (X, y) in enumerate(clients)]
    given = [name for name, v in (("participation_rate", participation_rate), ("rates", rates), ("trace", trace)) if v is not None]
    if len(given) != 1:
        raise ValueError("give exactly one of participation_rate, rates, trace" + (f" (got {', '.join(given)})" if given else ""))
    if trace is not None and participation != "trace":
        raise ValueError('trace needs participation="trace"')
    if participation == "trace" and trace is None:
        raise ValueError('participation="trace" needs trace (a rounds x clients 0/1 array)')
    if participation_rate is not None:
        probabilities = [float(participation_rate)] * len(data)
    elif rates is not None:
        probabilities = [float(r) for r in rates]
        if len(probabilities) != len(data):
            raise ValueError(f"rates: {len(probabilities)} rates for {len(data)} clients; give one per client")
    else:
        probabilities = []
    if problem == "multinomial" and num_classes == 0:  # every client needs the federation's K, not its own
        num_classes = int(max(y.max(initial=0) for _, y in data)) + 1
    trace = None if trace is None else _as_float64(trace, "trace")
    if test is not None:
        test = (_as_float64(test[0], "test X"), _as_float64(test[1], "test y").ravel())
    return _impl.simulate(data, problem, probabilities, trace, test, method, participation, int(rounds), int(local_steps),
                          int(batch), float(lr), optimizer, float(momentum), float(global_lr), float(l2), bool(intercept),
                          int(num_classes), int(cutoff), float(markov_a), int(period), int(eval_every), int(seed))
