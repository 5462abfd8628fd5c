"""mode_cost against multiply-adds counted one by one, and measure_sweeps' qualitative claim."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import chainviz as cv
from chainviz.core.modes import measure_sweeps


class Tally:
    """Pure-Python linear algebra that counts every multiply-add it does."""

    def __init__(self):
        self.madds = 0
        self.peak = 0  # most numbers held in the carried object at once

    def hold(self, M):
        self.peak = max(self.peak, sum(len(r) for r in M))
        return M

    def matmul(self, A, B):
        """(p×q)(q×r): each of the p·r entries takes q multiply-adds."""
        q = len(B)
        assert all(len(row) == q for row in A)
        out = []
        for row in A:
            out_row = []
            for j in range(len(B[0])):
                acc = 0.0
                for k in range(q):
                    acc += row[k] * B[k][j]
                    self.madds += 1
                out_row.append(acc)
            out.append(out_row)
        return out

    def scale_rows(self, d, M):
        """diag(d)·M: one multiply per entry of M."""
        self.madds += sum(len(r) for r in M)
        return [[di * v for v in row] for di, row in zip(d, M)]

    def scale_cols(self, M, d):
        """M·diag(d): one multiply per entry of M."""
        self.madds += sum(len(r) for r in M)
        return [[v * di for v, di in zip(row, d)] for row in M]


def random_chain(widths, seed=0):
    """Weights W_l (d_l × d_{l-1}) as lists, slopes D_l (length d_l), and g (length d_L)."""
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(size=(b, a)).tolist() for a, b in zip(widths[:-1], widths[1:])]
    Ds = [rng.uniform(0.1, 1.0, size=d).tolist() for d in widths[1:]]
    g = rng.normal(size=widths[-1]).tolist()
    return Ws, Ds, g


def count_forward_mode(widths, seed=0):
    """g · (D_L W_L ··· D_1 W_1) evaluated from the input side, as the module docstring describes."""
    Ws, Ds, g = random_chain(widths, seed)
    t = Tally()
    carried_sizes = []
    C = t.hold([row[:] for row in Ws[0]])  # W_1 itself: no work
    for l in range(len(Ws)):
        if l > 0:
            C = t.hold(t.matmul(Ws[l], C))
        C = t.hold(t.scale_rows(Ds[l], C))
        carried_sizes.append(sum(len(r) for r in C))
    result = t.matmul([g], C)[0]
    return t, result, carried_sizes


def count_reverse_mode(widths, seed=0):
    """((g · D_L) · W_L) ··· · D_1 · W_1, a row at a time from the loss side."""
    Ws, Ds, g = random_chain(widths, seed)
    t = Tally()
    row = t.hold([g[:]])
    lengths = [len(g)]
    slopes_read = 0
    for l in reversed(range(len(Ws))):
        row = t.hold(t.scale_cols(row, Ds[l]))
        slopes_read += len(Ds[l])  # kept from the forward pass until now
        row = t.hold(t.matmul(row, Ws[l]))
        lengths.append(len(row[0]))
    return t, row[0], lengths, slopes_read


def count_primal(widths, seed=0):
    """The forward pass z_l = W_l a_{l-1}, and what it must keep for the weight gradients."""
    Ws, _, _ = random_chain(widths, seed)
    rng = np.random.default_rng(seed + 1)
    a = rng.normal(size=widths[0]).tolist()
    t = Tally()
    kept_inputs = 0
    for W in Ws:
        kept_inputs += len(a)  # a_{l-1} is needed for ∂L/∂W_l = (∂L/∂z_l)ᵀ a_{l-1}ᵀ
        a = [v for (v,) in t.matmul(W, [[v] for v in a])]
    return t, kept_inputs


CASES = [[3, 4, 2], [5, 1, 7, 2], [1, 1], [2, 3], [4, 3, 3, 3, 1], [1, 6, 2, 5], [7, 2, 8]]


@pytest.mark.parametrize("widths", CASES, ids=str)
def test_mode_cost_equals_counted_multiply_adds(widths):
    cost = cv.mode_cost(widths)
    fwd, fwd_result, fwd_sizes = count_forward_mode(widths)
    rev, rev_result, rev_lengths, slopes_read = count_reverse_mode(widths)
    primal, kept_inputs = count_primal(widths)

    # the counted evaluations compute the same gradient, and it is g · J
    Ws, Ds, g = random_chain(widths)
    J = np.eye(widths[0])
    for W, D in zip(Ws, Ds):
        J = np.diag(D) @ np.asarray(W) @ J
    np.testing.assert_allclose(fwd_result, np.asarray(g) @ J, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rev_result, np.asarray(g) @ J, rtol=1e-10, atol=1e-12)

    assert cost.widths == tuple(widths)
    assert cost.forward_madds == fwd.madds
    assert cost.reverse_madds == rev.madds
    assert cost.forward_peak == fwd.peak
    assert cost.reverse_peak == rev.peak
    assert cost.forward_carried == tuple(fwd_sizes)
    assert cost.reverse_carried == tuple(rev_lengths)
    assert cost.stored_activations == slopes_read
    assert cost.stored_for_weight_gradients == slopes_read + kept_inputs
    assert cost.primal_madds == primal.madds
    assert cost.madds_ratio == fwd.madds / rev.madds
    assert cost.peak_ratio == fwd.peak / rev.peak


def test_mode_cost_by_hand_3_4_2():
    c = cv.mode_cost([3, 4, 2])
    # forward: W1 free, D1 4·3, W2 2·4·3, D2 2·3, g· 2·3  = 12 + 24 + 6 + 6
    assert c.forward_madds == 48
    # reverse: D2 2, W2 2·4, D1 4, W1 4·3  = 2 + 8 + 4 + 12
    assert c.reverse_madds == 26
    assert (c.forward_peak, c.reverse_peak) == (12, 4)
    assert (c.stored_activations, c.stored_for_weight_gradients, c.primal_madds) == (6, 13, 20)
    assert c.forward_carried == (12, 6) and c.reverse_carried == (2, 4, 3)


def test_mode_cost_by_hand_5_1_7_2():
    c = cv.mode_cost([5, 1, 7, 2])
    # forward: D1 1·5, W2 7·1·5, D2 7·5, W3 2·7·5, D3 2·5, g· 2·5 = 5 + 35 + 35 + 70 + 10 + 10
    assert c.forward_madds == 165
    # reverse: D3 2, W3 2·7, D2 7, W2 7·1, D1 1, W1 1·5 = 2 + 14 + 7 + 7 + 1 + 5
    assert c.reverse_madds == 36
    assert (c.forward_peak, c.reverse_peak) == (35, 7)
    assert (c.stored_activations, c.stored_for_weight_gradients, c.primal_madds) == (10, 23, 26)
    assert c.reverse_carried == (2, 7, 1, 5)


def test_mode_cost_accepts_tuples_arrays_and_whole_floats():
    ref = cv.mode_cost([3, 4, 2])
    assert cv.mode_cost((3, 4, 2)) == ref
    assert cv.mode_cost(np.array([3, 4, 2])) == ref
    assert cv.mode_cost([3.0, 4, np.int64(2)]) == ref
    assert all(type(w) is int for w in cv.mode_cost(np.array([3, 4, 2])).widths)


@pytest.mark.parametrize("widths, exc, words", [
    ([3, 0, 2], ValueError, r"d1 \(widths\[1\]\) is 0"),
    ([3, 4, -2], ValueError, r"d2 \(widths\[2\]\) is -2"),
    ([2.5, 3], ValueError, r"n \(widths\[0\]\) is 2\.5"),
    ([3, np.float32(2.5)], ValueError, r"d1 \(widths\[1\]\) is .*2\.5"),
    ([3, "a"], ValueError, r"d1 \(widths\[1\]\) is 'a'"),
    ([3, None], ValueError, r"d1 \(widths\[1\]\) is None"),
    ([3, True], ValueError, r"d1 \(widths\[1\]\) is True"),
    ([3, float("nan")], ValueError, r"d1 \(widths\[1\]\) is nan"),
    ([5], ValueError, r"needs the input size and at least one layer"),
    ([], ValueError, r"needs the input size and at least one layer"),
    ("a", ValueError, r"widths: 'a' is not a number"),  # text is read as the typed widths field reads it
    ("12,500", ValueError, r"widths: '12,500' is ambiguous"),
    ([[1, 2], [3, 4]], ValueError, r"widths must be a list of layer sizes .*got a list of shape 2×2"),
    (None, TypeError, r"widths must be a list of layer sizes .*got None"),
    (5, TypeError, r"widths must be a list of layer sizes"),
])
def test_bad_widths_name_the_offending_entry(widths, exc, words):
    with pytest.raises(exc, match=words):
        cv.mode_cost(widths)


def test_measure_sweeps_reverse_is_much_faster_when_the_input_is_wide():
    # forward mode carries 30 × 20000 matrices (~18M multiply-adds); reverse mode rows (~0.6M).
    assert cv.mode_cost([20000, 30, 30, 1]).madds_ratio > 25
    # Measured in a child process with single-threaded BLAS: with threaded BLAS on a loaded
    # 2-core machine a 0.3 ms vector-matrix product can wait ~8-10 ms for its helper thread,
    # which measures the scheduler, not the arithmetic. Noise only ever adds time, so the best
    # of three medians is taken. Predicted ratio ≈ 30, seen 11-80 under load: 3× holds widely.
    probe = (
        "import json; from chainviz.core.modes import measure_sweeps; "
        "print(json.dumps([measure_sweeps([20000, 30, 30, 1], repeats=5) for _ in range(3)]))"
    )
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    runs = json.loads(out.stdout.strip().splitlines()[-1])
    t_fwd, t_rev = min(f for f, _ in runs), min(r for _, r in runs)
    assert t_fwd > 0 and t_rev > 0
    assert t_fwd / t_rev > 3, runs


def test_measure_sweeps_returns_two_positive_medians():
    t_fwd, t_rev = measure_sweeps([50, 4, 1], repeats=3, seed=1)
    assert isinstance(t_fwd, float) and isinstance(t_rev, float)
    assert t_fwd > 0 and t_rev > 0
