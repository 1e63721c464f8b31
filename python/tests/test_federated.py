"""convlab.federated and convlab.bilevel: the same bits as the CLI, partitions as promised,
participation and FedAU's weights against their closed forms, LV-HBA on the toys, clear errors."""
import json
import os
import subprocess

import numpy as np
import pytest
from sklearn.datasets import load_svmlight_file

import convlab

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data")


def digits():
    X, y = load_svmlight_file(os.path.join(DATA, "digits.libsvm"), zero_based=False)
    return X.toarray(), y


@pytest.mark.skipif("CONVLAB_CLI" not in os.environ, reason="needs the convlab CLI (CTest sets CONVLAB_CLI)")
def test_simulate_equals_convlab_fit_bit_for_bit(tmp_path):
    # The CLI's federation with test_data = the data file: training rows in file order, split by
    # partition_iid with seed data_seed + 17 (docs/federated-on-your-data.md).
    X, y = digits()
    config = tmp_path / "run.toml"
    config.write_text(f"""[federated]
problem = "multinomial"
data = "{os.path.abspath(os.path.join(DATA, 'digits.libsvm'))}"
test_data = "{os.path.abspath(os.path.join(DATA, 'digits.libsvm'))}"
intercept = true
mu = 0.001
clients = 10
partition = "iid"
participation_rate = 0.5
rounds = 40
eval_every = 10
""")
    subprocess.run([os.environ["CONVLAB_CLI"], "fit", str(config), "--out", str(tmp_path)], check=True, capture_output=True)
    cli = json.loads((tmp_path / "run" / "fit" / "summary.json").read_text())
    parts = convlab.federated.partition_iid(len(y), clients=10, seed=1 + 17)
    run = convlab.federated.simulate([(X[r], y[r]) for r in parts], problem="multinomial", participation_rate=0.5, rounds=40,
                                     eval_every=10, intercept=True, l2=0.001, test=(X, y))
    assert np.array_equal(run["x"], np.array(cli["x"]))
    assert run["test_accuracy"][-1] == cli["final_test_accuracy"]
    assert list(run["estimated_weights"]) == cli["estimated_weights"]


def test_partitions_cover_every_row_once():
    labels = np.repeat(np.arange(5.0), 40)
    for parts in (convlab.federated.partition_iid(200, 7, 3),
                  convlab.federated.partition_shards(labels, 10, 2, 3),
                  convlab.federated.partition_dirichlet(labels, 10, 0.5, 0.1, 0.2, 0.02, 3)[0],
                  convlab.federated.partition_by_column(labels)[0]):
        assert sorted(np.concatenate(parts).tolist()) == list(range(200))
    sizes = [len(p) for p in convlab.federated.partition_iid(200, 7, 3)]
    assert max(sizes) - min(sizes) <= 1
    rows, ids = convlab.federated.partition_by_column(labels)
    assert ids == [0, 1, 2, 3, 4] and all((labels[r] == i).all() for r, i in zip(rows, ids))
    rows, p = convlab.federated.partition_dirichlet(labels, 10, 0.5, 1e6, 0.3, 0.02, 3)
    assert np.allclose(p, 0.3, atol=1e-2)  # a uniform label draw: every rate is mean_p
    assert np.allclose(convlab.federated.label_probabilities(labels, rows, 1e6, 0.3, 0.02, 9), 0.3, atol=1e-2)


def tiny_clients(N=4, n=30, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.normal(size=3)
    out = []
    for _ in range(N):
        X = rng.normal(size=(n, 3))
        out.append((X, X @ w + 0.1 * rng.normal(size=n)))
    return out


def test_participation_and_fedau_weights_follow_the_rates():
    rates = [0.2, 0.5, 0.8, 1.0]
    T = 4000
    run = convlab.federated.simulate(tiny_clients(), problem="least_squares", rates=rates, rounds=T, eval_every=1, lr=0.01)
    # Σ participants over T rounds: mean T·Σp, variance T·Σp(1 − p); within 4.5 standard deviations.
    total = run["participants"][1:].sum()
    assert abs(total - T * sum(rates)) < 4.5 * np.sqrt(T * sum(p * (1 - p) for p in rates))
    # FedAU's interval estimate of 1/p: within 15% after T rounds (≥ 800 intervals per client).
    assert np.allclose(run["estimated_weights"] * np.array(rates), 1.0, rtol=0.15)
    assert run["weights"].shape == (len(run["round"]), 4)
    assert run["probabilities"] == rates


def test_least_squares_reaches_the_pooled_solution_and_reports_the_test_loss():
    clients = tiny_clients()
    X = np.vstack([c[0] for c in clients])
    y = np.concatenate([c[1] for c in clients])
    w_star = np.linalg.lstsq(X, y, rcond=None)[0]
    run = convlab.federated.simulate(clients, problem="least_squares", participation_rate=1.0, method="average_all",
                                     rounds=3000, batch=0, lr=0.05, local_steps=1, test=(X, y), eval_every=500)
    assert np.linalg.norm(run["x"] - w_star) < 1e-6 * np.linalg.norm(w_star)
    assert run["test_loss"][-1] == pytest.approx(0.5 * np.mean((X @ run["x"] - y) ** 2), rel=1e-12)


def test_errors_are_clear():
    c = tiny_clients()
    with pytest.raises(ValueError, match="exactly one of participation_rate, rates, trace"):
        convlab.federated.simulate(c, problem="least_squares", participation_rate=0.5, rates=[0.5] * 4)
    with pytest.raises(ValueError, match="4 rates? for|rates: 3 rates for 4 clients"):
        convlab.federated.simulate(c, problem="least_squares", rates=[0.5] * 3)
    with pytest.raises(ValueError, match="aggregator 'fedavg' is not one of"):
        convlab.federated.simulate(c, problem="least_squares", participation_rate=0.5, method="fedavg")
    with pytest.raises(ValueError, match="probabilities must lie in"):
        convlab.federated.simulate(c, problem="least_squares", participation_rate=1.5)
    with pytest.raises(ValueError, match="NaN or Inf"):
        convlab.federated.simulate([(np.full((3, 2), np.nan), np.zeros(3))], problem="least_squares", participation_rate=1.0)


def test_trace_gives_the_participation():
    c = tiny_clients(N=2)
    trace = np.array([[1, 0], [1, 1], [0, 1], [1, 1]], dtype=float)
    run = convlab.federated.simulate(c, problem="least_squares", participation="trace", trace=trace, rounds=8, eval_every=1)
    assert list(run["participants"][1:]) == [1, 2, 1, 2] * 2
    assert run["probabilities"] == [0.75, 0.75]
    with pytest.raises(ValueError, match="columns of the trace"):
        convlab.federated.simulate(c, problem="least_squares", participation="trace", trace=trace[:, :1], rounds=2)


def test_lvhba_on_the_llc_toy_reaches_its_closed_form_solution():
    run = convlab.bilevel.lvhba_toy("llc", n=50, iterations=20000, record_every=1000, box=2.0)
    assert run["status"] == "completed"
    assert run["x_relative_error"][-1] < 0.1
    x, y = run["x"], run["y"]  # the last recorded value is F at the returned point
    assert run["upper_value"][-1] == pytest.approx(0.5 * np.sum((x - y[50:]) ** 2) + 0.5 * np.sum((y[:50] - 1) ** 2), rel=1e-12)
    assert list(run["k"]) == list(range(1000, 20001, 1000))


def test_lvhba_reports_a_binding_multiplier_box():
    run = convlab.bilevel.lvhba_toy("llc", n=50, iterations=5000, box=0.5)
    assert run["status"] == "multiplier_bound_active" and "raise" in run["message"]
    with pytest.raises(ValueError, match="toy 'nope' is not one of"):
        convlab.bilevel.lvhba_toy("nope")
