"""Ctrl-C during a long kernel on a C objective: the kernels poll for signals every
POLL_EVERY evaluations (a C objective never returns to Python), so KeyboardInterrupt stops
the computation early and propagates from the public call."""
import _thread
import threading

import numpy as np
import pytest

import fastnewton


def _interrupt_after(seconds):
    timer = threading.Timer(seconds, _thread.interrupt_main)   # as if Ctrl-C were pressed
    timer.daemon = True
    timer.start()
    return timer


def test_keyboard_interrupt_stops_a_long_hessian_on_a_c_objective(cobj):
    llc, counts = cobj.counted_rosen(value_only=True)
    n = 1500
    full = 2 * n * n + 1          # what the Hessian from values would evaluate (seconds of work)
    x = np.linspace(-1.0, 1.0, n)
    timer = _interrupt_after(0.2)
    try:
        with pytest.raises(KeyboardInterrupt):
            fastnewton.hessian(llc, x)
    finally:
        timer.cancel()
    assert 0 < counts[0] < full // 2       # stopped early, not at the end


def test_keyboard_interrupt_stops_a_long_solve_on_a_c_objective(cobj):
    llc, counts = cobj.counted_rosen(value_only=True)
    n = 400                       # Newton with Hessians from values: 2 n^2 values an iteration
    x0 = np.full(n, -1.2)
    timer = _interrupt_after(0.2)
    try:
        with pytest.raises(KeyboardInterrupt):
            fastnewton.minimize(llc, x0, options={"maxiter": 50})
    finally:
        timer.cancel()
    assert counts[0] < 50 * 2 * n * n


def test_after_an_interrupt_the_next_call_is_clean(cobj):
    llc, counts = cobj.counted_rosen(value_only=True)
    timer = _interrupt_after(0.1)
    try:
        with pytest.raises(KeyboardInterrupt):
            fastnewton.hessian(llc, np.linspace(-1.0, 1.0, 1500))
    finally:
        timer.cancel()
    x = np.array([0.5, -0.3, 0.8])
    H = fastnewton.hessian(llc, x)
    Hp = fastnewton.hessian(lambda z: float(np.sum(100.0 * (z[1:] - z[:-1] ** 2) ** 2
                                                  + (1.0 - z[:-1]) ** 2)), x)
    np.testing.assert_allclose(H, Hp, rtol=1e-6, atol=1e-6)
