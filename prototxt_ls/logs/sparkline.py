"""Terminal sparklines: a glance at loss, lr and test outputs without matplotlib.

Why: the plotting extra is optional, and most logs are read over ssh; eight
block characters show whether loss fell, when lr dropped and where accuracy
went.  Values spanning more than two decades (a loss going 2 -> 1e-4) are drawn
on a log scale, otherwise everything hugs the floor.  Non-finite values draw as
``!`` so a NaN is never hidden.
"""

from __future__ import annotations

import math

BARS = "▁▂▃▄▅▆▇█"


def resample(values: list[float], width: int) -> list[float]:
    if len(values) <= width:
        return list(values)
    out = []
    for i in range(width):
        chunk = values[i * len(values) // width:(i + 1) * len(values) // width]
        bad = [v for v in chunk if not math.isfinite(v)]
        out.append(bad[0] if bad else sum(chunk) / len(chunk))
    return out


def sparkline(values: list[float | None], width: int = 40) -> tuple[str, bool]:
    """The line and whether it is on a log scale."""
    vals = resample([v for v in values if v is not None], width)
    finite = [v for v in vals if math.isfinite(v)]
    if not finite:
        return ("!" * len(vals), False)
    lo, hi = min(finite), max(finite)
    log_scale = lo > 0 and hi / lo > 100
    if log_scale:
        lo, hi = math.log10(lo), math.log10(hi)
    chars = []
    for v in vals:
        if not math.isfinite(v):
            chars.append("!")
            continue
        x = math.log10(v) if log_scale else v
        idx = 0 if hi == lo else round((x - lo) / (hi - lo) * (len(BARS) - 1))
        chars.append(BARS[idx])
    return ("".join(chars), log_scale)
