"""Charts of Caffe training logs, after Caffe's ``tools/extra/plot_training_log.py``.

The eight classic charts are test accuracy, test loss, learning rate and train
loss, each against iterations or against seconds (``test-accuracy-vs-iters``,
``lr-vs-seconds``, ...).  Several logs go on one chart, one line per log,
labelled by file name.  The output format follows the file extension (``.png``,
``.svg`` or ``.pdf``).

matplotlib is optional (``pip install 'prototxt-ls[plot]'``): it is imported
only when a chart is rendered, with the non-interactive Agg backend, and
:class:`PlotUnavailable` (an :class:`ImportError`) is raised when it is missing.
A log without the charted series does not fail the chart: the title says which
logs have no data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from .parser import LogData

INSTALL_HINT = "plotting needs matplotlib: pip install 'prototxt-ls[plot]'"
FORMATS = (".png", ".svg", ".pdf")


class PlotUnavailable(ImportError):
    """matplotlib is not installed."""


@dataclass(frozen=True)
class Chart:
    name: str
    series: str  # "test-accuracy", "test-loss", "lr", "train-loss"
    x: str  # "iters" or "seconds"

    @property
    def title(self) -> str:
        return f"{_SERIES_LABEL[self.series]} vs. {_X_LABEL[self.x]}"


_SERIES_LABEL = {"test-accuracy": "Test accuracy", "test-loss": "Test loss", "lr": "Learning rate",
                 "train-loss": "Train loss"}
_X_LABEL = {"iters": "Iterations", "seconds": "Seconds"}

# Same order as Caffe's plot_training_log.py chart types 0..7.
CHARTS: dict[str, Chart] = {
    f"{s}-vs-{x}": Chart(f"{s}-vs-{x}", s, x)
    for s in ("test-accuracy", "test-loss", "lr", "train-loss")
    for x in ("iters", "seconds")
}
CHART_NAMES: tuple[str, ...] = tuple(CHARTS)


def resolve_charts(names: list[str]) -> list[Chart]:
    """Chart objects for names (``all`` means the eight); ValueError on an unknown name."""
    out: list[Chart] = []
    for name in names:
        picked = list(CHARTS.values()) if name == "all" else [CHARTS.get(name)]
        if picked == [None]:
            raise ValueError(f"unknown chart {name!r}; choose from all, {', '.join(CHART_NAMES)}")
        out.extend(c for c in picked if c not in out)
    return out


def output_name_for(log: LogData, series: str) -> str | None:
    """The test output a test series reads: the first named like 'acc' or 'loss' (case-insensitive)."""
    needle = "acc" if series == "test-accuracy" else "loss"
    for name in log.test_names():
        if needle in name.lower():
            return name
    return None


def series_points(log: LogData, chart: Chart) -> list[tuple[float, float]]:
    """(x, y) points of chart's series in log; finite values only, rows without seconds skipped for
    ``-vs-seconds`` charts.  Test series use the first test net that reports the output."""
    points: list[tuple[float, float]] = []
    if chart.series in ("lr", "train-loss"):
        rows = [(r.iteration, r.seconds, r.lr if chart.series == "lr" else r.loss) for r in log.train]
    else:
        name = output_name_for(log, chart.series)
        if name is None:
            return []
        nets = [r.net for r in log.test if name in r.outputs]
        rows = [(r.iteration, r.seconds, r.outputs[name]) for r in log.test
                if name in r.outputs and r.net == nets[0]]
    for iteration, seconds, y in rows:
        x = iteration if chart.x == "iters" else seconds
        if x is None or y is None or not math.isfinite(y) or not math.isfinite(x):
            continue
        points.append((float(x), float(y)))
    return points


def _labels(logs: list[LogData]) -> list[str]:
    names = [Path(log.path).name for log in logs]
    # Two logs with the same file name in different folders keep their paths.
    return [n if names.count(n) == 1 else str(log.path) for n, log in zip(names, logs)]


def _matplotlib():
    try:
        import matplotlib
    except ImportError as exc:
        raise PlotUnavailable(INSTALL_HINT) from exc
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure


def render(logs: list[LogData], chart: Chart | str, out: Path | str) -> Path:
    """Draw chart for logs into out (format by extension); returns out.

    Raises ValueError for an unknown chart or extension and PlotUnavailable without matplotlib.
    """
    if isinstance(chart, str):
        if chart not in CHARTS:
            raise ValueError(f"unknown chart {chart!r}; choose from {', '.join(CHART_NAMES)}")
        chart = CHARTS[chart]
    out = Path(out)
    if out.suffix.lower() not in FORMATS:
        raise ValueError(f"cannot tell the image format of {out}: use one of {', '.join(FORMATS)}")
    Figure = _matplotlib()

    fig = Figure(figsize=(8, 5), dpi=100)
    ax = fig.add_subplot()
    missing: list[str] = []
    for log, label in zip(logs, _labels(logs)):
        pts = series_points(log, chart)
        if not pts:
            missing.append(label)
            continue
        xs, ys = zip(*pts)
        ax.plot(xs, ys, marker="." if len(pts) < 50 else None, linewidth=1.2, label=label)
    title = chart.title
    if missing and len(missing) == len(logs):
        what = _SERIES_LABEL[chart.series].lower()
        title += f"\n(no {what} in {', '.join(missing)})"
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color="grey")
    elif missing:
        title += f"\n(no data in {', '.join(missing)})"
    ax.set_title(title)
    ax.set_xlabel(_X_LABEL[chart.x])
    ax.set_ylabel(_SERIES_LABEL[chart.series])
    ax.grid(True, alpha=0.3)
    if len(logs) - len(missing) > 0:
        ax.legend(loc="best")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, format=out.suffix.lower()[1:])
    return out
