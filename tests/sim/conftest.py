"""Simulator tests need torch (the `sim` extra); without it they are skipped."""

import pytest

pytest.importorskip("torch")
