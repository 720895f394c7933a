"""Charts of training logs (``prototxt_ls.logs.plots`` and ``prototxt-ls log --plot``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from corpus_paths import CORPUS

pytest.importorskip("matplotlib")

from matplotlib.image import imread

from prototxt_ls.logs.parser import parse_log
from prototxt_ls.logs.plots import (
    CHART_NAMES,
    CHARTS,
    render,
    resolve_charts,
    series_points,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
NORMAL = CORPUS / "oracle" / "logs" / "normal.log"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TEAM_LOGS = sorted(DATA.glob("*.log"))

needs_normal = pytest.mark.skipif(not NORMAL.is_file(), reason="corpus log normal.log not present")


def check_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    assert len(data) > 5000, (path, len(data))
    img = imread(path)
    assert img.ndim == 3 and img.shape[0] >= 300 and img.shape[1] >= 500, img.shape
    assert img.shape[2] in (3, 4)
    assert img.min() < img.max()  # not a blank canvas


def test_eight_chart_names():
    assert CHART_NAMES == (
        "test-accuracy-vs-iters", "test-accuracy-vs-seconds", "test-loss-vs-iters", "test-loss-vs-seconds",
        "lr-vs-iters", "lr-vs-seconds", "train-loss-vs-iters", "train-loss-vs-seconds")
    assert [c.name for c in resolve_charts(["all"])] == list(CHART_NAMES)
    assert [c.name for c in resolve_charts(["lr-vs-iters", "lr-vs-iters"])] == ["lr-vs-iters"]
    with pytest.raises(ValueError, match="unknown chart"):
        resolve_charts(["loss-vs-time"])


@needs_normal
def test_series_from_real_log():
    log = parse_log(NORMAL)
    acc = series_points(log, CHARTS["test-accuracy-vs-iters"])
    loss = series_points(log, CHARTS["test-loss-vs-iters"])
    assert acc and all(0 <= y <= 1 for _, y in acc)
    assert len(loss) == len(acc)
    train = series_points(log, CHARTS["train-loss-vs-seconds"])
    assert train and [x for x, _ in train] == sorted(x for x, _ in train)
    assert series_points(log, CHARTS["lr-vs-iters"])


@needs_normal
@pytest.mark.parametrize("name", CHART_NAMES)
def test_every_chart_from_real_log(tmp_path, name):
    out = render([parse_log(NORMAL)], name, tmp_path / f"{name}.png")
    check_png(out)


@pytest.mark.parametrize("log", TEAM_LOGS, ids=lambda p: p.name)
def test_every_chart_from_team_logs(tmp_path, log):
    parsed = parse_log(log)
    for name in CHART_NAMES:
        check_png(render([parsed], name, tmp_path / f"{name}.png"))


def test_svg_output_and_several_logs_on_one_chart(tmp_path):
    logs = [parse_log(DATA / "restart.log"), parse_log(DATA / "nan_forward.log")]
    out = render(logs, "train-loss-vs-iters", tmp_path / "two.svg")
    text = out.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    # the legend names both logs (matplotlib writes text as comments/ids next to the glyphs)
    assert "restart.log" in text and "nan_forward.log" in text


def test_missing_series_is_in_the_title(tmp_path):
    # nan_forward.log has no test phase: test charts say so rather than failing
    logs = [parse_log(DATA / "nan_forward.log")]
    assert series_points(logs[0], CHARTS["test-accuracy-vs-iters"]) == []
    text = render(logs, "test-accuracy-vs-iters", tmp_path / "acc.svg").read_text(encoding="utf-8")
    assert "no test accuracy in nan_forward.log" in text
    # one log with the series and one without: the chart is drawn and names the one without
    logs = [parse_log(DATA / "restart.log"), parse_log(DATA / "nan_forward.log")]
    text = render(logs, "test-loss-vs-iters", tmp_path / "loss.svg").read_text(encoding="utf-8")
    assert "no data in nan_forward.log" in text and "restart.log" in text
    check_png(render(logs, "test-loss-vs-seconds", tmp_path / "loss.png"))


def test_unknown_extension_and_chart(tmp_path):
    logs = [parse_log(DATA / "restart.log")]
    with pytest.raises(ValueError, match="image format"):
        render(logs, "lr-vs-iters", tmp_path / "x.jpeg2")
    with pytest.raises(ValueError, match="unknown chart"):
        render(logs, "nope", tmp_path / "x.png")


# --- the command line, as a subprocess ------------------------------------------------------------

# Runs the real ``prototxt-ls`` entry point (a prelude may block matplotlib first).
SHIM = """
import sys
from prototxt_ls.cli import main as m
sys.exit(m.main(sys.argv[1:]))
"""
BLOCK_MATPLOTLIB = "import sys; sys.modules['matplotlib'] = None\n"


def cli(*args: str, cwd: Path | None = None, prelude: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-c", prelude + SHIM, "log", *args], check=False,
                          capture_output=True, text=True, env=env, cwd=cwd or ROOT, timeout=120)


def test_cli_one_chart_two_logs(tmp_path):
    out = tmp_path / "out.png"
    r = cli(str(DATA / "restart.log"), str(DATA / "nan_forward.log"), "--plot", "train-loss-vs-iters",
            "--plot-out", str(out), "--exit-zero")
    assert r.returncode == 0, r.stderr
    assert f"wrote {out}" in r.stdout
    check_png(out)
    svg = tmp_path / "out.svg"
    r = cli(str(DATA / "restart.log"), str(DATA / "nan_forward.log"), "--plot", "lr-vs-seconds",
            "--plot-out", str(svg), "--exit-zero")
    assert r.returncode == 0, r.stderr
    text = svg.read_text(encoding="utf-8")
    assert "restart.log" in text and "nan_forward.log" in text


@needs_normal
def test_cli_all_charts_into_folder(tmp_path):
    folder = tmp_path / "charts"
    r = cli(str(NORMAL), str(DATA / "restart.log"), "--plot", "all", "--plot-out", str(folder))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{n}.png" for n in CHART_NAMES)
    for p in folder.iterdir():
        check_png(p)


def test_cli_default_output_name(tmp_path):
    r = cli(str(DATA / "restart.log"), "--plot", "lr-vs-iters", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    check_png(tmp_path / "lr-vs-iters.png")


def test_cli_usage_errors(tmp_path):
    r = cli(str(DATA / "restart.log"), "--plot", "accuracy", "--plot-out", str(tmp_path / "a.png"))
    assert r.returncode == 2 and "unknown chart 'accuracy'" in r.stderr
    r = cli(str(DATA / "restart.log"), "--plot", "all", "--plot-out", str(tmp_path / "a.png"))
    assert r.returncode == 2 and "need a folder" in r.stderr


def test_cli_without_matplotlib(tmp_path):
    r = cli(str(DATA / "restart.log"), "--plot", "lr-vs-iters", "--plot-out", str(tmp_path / "a.png"),
            prelude=BLOCK_MATPLOTLIB)
    assert r.returncode == 2
    assert "install 'prototxt-ls[plot]'" in r.stderr
    assert not (tmp_path / "a.png").exists()
    # without --plot, matplotlib is never imported
    r = cli(str(DATA / "restart.log"), "--no-color", prelude=BLOCK_MATPLOTLIB)
    assert r.returncode == 0, r.stderr
    assert "train loss" in r.stdout


def test_cli_real_entry_point(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "o.png"
    r = subprocess.run([sys.executable, "-m", "prototxt_ls", "log", str(DATA / "restart.log"), "--plot",
                        "train-loss-vs-iters", "--plot-out", str(out)], check=False, capture_output=True, text=True,
                       env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    check_png(out)
