"""The rule for every child process a Backbeat command starts: it never outlives its parent.

A `kill -9` of `backbeat load` (or of the demo) cannot be caught, so the parent cannot stop
its children itself. Linux can: a child that asked for a parent-death signal gets SIGTERM
the moment its parent dies, and stops as it would on Ctrl-C (the dataflows flush and
snapshot on it). Elsewhere the rule does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1


def _libc_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None
    prctl: Callable[..., int] = libc.prctl
    return prctl


_PRCTL = _libc_prctl()


def dies_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` for `subprocess.Popen`: the child gets SIGTERM when this process dies.

    Made in the parent (the pid it checks is the parent's); None where Linux's prctl is not
    available.
    """
    if _PRCTL is None:
        return None
    parent = os.getpid()
    prctl = _PRCTL

    def arm() -> None:  # runs in the child, between fork and exec
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os.kill(os.getpid(), signal.SIGTERM)

    return arm
