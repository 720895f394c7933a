"""Parse a Caffe training log into tables.

Why: Caffe only reports progress as glog text.  This turns it into per-iteration
train rows (loss, lr), test rows (one value per test output), run boundaries
(several runs per file, restarts from snapshots), the raw ``debug_info`` lines
tagged with the iteration and pass they belong to, and fatal lines.  A line that
looks like a log record but cannot be read is counted in ``malformed`` and
skipped; nothing in a log can make parsing fail.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

# I1126 00:01:02.123456 12345 solver.cpp:218] msg   (old glog: MMDD)
# I20261125 23:59:18.142668 23343 solver.cpp:239] msg  (new glog: YYYYMMDD)
GLOG = re.compile(r"^(?P<sev>[IWEF])(?P<date>\d{8}|\d{4}) (?P<time>\d\d:\d\d:\d\d(?:\.\d+)?)\s+"
                  r"(?P<tid>\d+) (?P<src>[^\s\]]+:\d+)\] ?(?P<msg>.*)$")
LOOKS_LIKE_GLOG = re.compile(r"^[IWEF]\d{4}")

NUM = r"([-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|inf|NaN|Inf|INF|NAN|1\.#\w+))"
TRAIN_DISPLAY = re.compile(r"^Iteration (\d+) \(.*\), loss = (\S+)\s*$")
TRAIN_LOSS = re.compile(r"^Iteration (\d+), loss = (\S+)\s*$")  # old display and the final line
LR = re.compile(r"^Iteration (\d+), lr = (\S+)\s*$")
TESTING = re.compile(r"^Iteration (\d+), Testing net \(#(\d+)\)")
TEST_OUT = re.compile(r"^\s*Test net output #(\d+): (\S+) = (\S+)")
TRAIN_OUT = re.compile(r"^\s*Train net output #(\d+): (\S+) = (\S+)")
RESTORE = re.compile(r"Restoring previous solver status from (\S+)")
RUN_START = re.compile(r"^Initializing solver from parameters")
CREATING = re.compile(r"^Creating Layer (\S+)")
NET_INIT = re.compile(r"^Initializing net from parameters|^Creating (training|test) net")
NET_DONE = re.compile(r"^Network initialization done")
DEBUG = re.compile(r"^\s*\[(?P<pass>Forward|Backward)\] Layer (?P<layer>.+?), (?P<role>top|bottom|param) blob "
                   r"(?P<blob>.+?) (?P<what>data|diff): (?P<value>\S+)\s*$")
UPDATE = re.compile(r"^\s*\[Update\] Layer (?P<layer>.+?), param (?P<blob>\S+) data: (?P<data>\S+); "
                    r"diff: (?P<diff>\S+)\s*$")
NORMS = re.compile(r"^\s*\[(Forward|Backward)\] All net params")
DEBUG_HINT = re.compile(r"^\s*\[(Forward|Backward|Update)\] ")


def to_float(text: str) -> float:
    """Caffe's printed floats, including nan/-nan/inf and MSVC's 1.#INF / 1.#QNAN."""
    t = text.strip().rstrip(",;")
    low = t.lower()
    if "#inf" in low:
        return -math.inf if low.startswith("-") else math.inf
    if "#" in low:  # 1.#QNAN, -1.#IND
        return math.nan
    return float(t)  # raises ValueError on garbage


@dataclass
class TrainRow:
    iteration: int
    seconds: float | None
    loss: float | None = None
    lr: float | None = None
    outputs: dict[str, float] = field(default_factory=dict)
    line: int = 0
    run: int = 0


@dataclass
class TestRow:
    iteration: int
    seconds: float | None
    outputs: dict[str, float] = field(default_factory=dict)
    line: int = 0
    run: int = 0
    net: int = 0


@dataclass
class Run:
    index: int
    line: int  # 1-based line where the run starts
    restored_from: str | None = None
    first_iteration: int | None = None
    last_iteration: int | None = None


@dataclass
class DebugLine:
    """One ``debug_info`` line, with the iteration and pass it belongs to."""

    line: int
    iteration: int | None
    phase: str  # "train" or "test"
    pass_: str  # "forward", "backward" or "update"
    layer: str
    role: str  # "top", "bottom", "param"
    blob: str
    what: str  # "data" or "diff"
    value: float
    data: float | None = None  # [Update] lines carry both
    pass_index: int = 0  # counts the forward/backward passes of the log


@dataclass
class FatalLine:
    line: int
    severity: str
    source: str
    message: str
    creating_layer: str | None  # the layer Caffe was setting up, when it failed during net init


@dataclass
class LogData:
    path: str
    train: list[TrainRow] = field(default_factory=list)
    test: list[TestRow] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    debug: list[DebugLine] = field(default_factory=list)
    fatal: list[FatalLine] = field(default_factory=list)
    malformed: list[tuple[int, str]] = field(default_factory=list)
    start: datetime | None = None

    @property
    def skipped(self) -> int:
        return len(self.malformed)

    def test_names(self) -> list[str]:
        names: list[str] = []
        for row in self.test:
            for k in row.outputs:
                if k not in names:
                    names.append(k)
        return names


class _Clock:
    """glog timestamps -> seconds since the first one.

    Old glog writes MMDD without a year: a month that goes backwards means the
    log crossed New Year.  Midnight needs nothing special because the day is in
    every timestamp; a time-of-day that goes backwards on the same day by more
    than 12 hours (a log stitched from a tool that dropped the date) is read as
    the next day.
    """

    def __init__(self) -> None:
        self.year = 2000  # leap year, so 0229 parses
        self.prev: datetime | None = None
        self.prev_month: int | None = None
        self.start: datetime | None = None

    def seconds(self, date: str, time: str) -> float:
        if len(date) == 8:
            y, m, d = int(date[:4]), int(date[4:6]), int(date[6:])
        else:
            m, d = int(date[:2]), int(date[2:])
            if self.prev_month is not None and m < self.prev_month:
                self.year += 1
            self.prev_month = m
            y = self.year
        hh, mm, rest = time.split(":")
        sec = float(rest)
        stamp = datetime(y, m, d, int(hh), int(mm)) + timedelta(seconds=sec)
        if self.prev is not None and stamp < self.prev - timedelta(hours=12) and stamp.date() == self.prev.date():
            stamp += timedelta(days=1)
        self.prev = stamp
        if self.start is None:
            self.start = stamp
        return round((stamp - self.start).total_seconds(), 6)


class _DebugState:
    """Works out which iteration and pass each debug_info line belongs to.

    Caffe prints a training iteration's debug lines *before* its ``Iteration N``
    display line, and the display may come only every ``display`` iterations, so
    passes are counted: the first training pass after an anchor (``Iteration N,
    Testing net`` -> N; a display or lr line for N -> N + 1) is that iteration,
    and each new forward pass adds one.  Test passes belong to the iteration of
    the ``Testing net`` line.
    """

    def __init__(self) -> None:
        self.phase = "train"
        self.test_iter: int | None = None
        self.next_train: int | None = 0
        self.cur_iter: int | None = None
        self.cur_kind: str | None = None  # "forward" / "backward" of the last debug line
        self.cur_phase: str | None = None
        self.seen_forward: set[tuple[str, str, str]] = set()
        self.pass_index = 0
        self.last_done: int | None = None
        self.train_seq = 0  # training passes counted since the last restart
        self.unknown: list[tuple[DebugLine, int]] = []  # lines placed before any anchor, and their pass

    def remember(self, line: DebugLine) -> None:
        if line.iteration is None and line.phase == "train":
            self.unknown.append((line, self.train_seq))

    def anchor_test(self, it: int) -> None:
        for line, seq in self.unknown:
            line.iteration = it - 1 - (self.train_seq - seq)
        self.unknown = []
        self.phase, self.test_iter, self.next_train = "test", it, it
        self.cur_kind = None

    def anchor_train(self, it_done: int) -> None:
        # passes seen since a restore, before any anchor: the last of them was it_done
        for line, seq in self.unknown:
            line.iteration = it_done - (self.train_seq - seq)
        self.unknown = []
        self.next_train = it_done + 1
        self.last_done = it_done
        self.cur_kind = None

    def end_test(self) -> None:
        if self.phase == "test":
            self.phase = "train"
            self.cur_kind = None

    def restart(self, iteration: int | None) -> None:
        """A new run (starts at 0) or a restore from a snapshot (iteration unknown until anchored)."""
        self.__init__()
        self.next_train = iteration

    def place(self, kind: str, key: tuple[str, str, str]) -> tuple[int | None, str, int]:
        if kind == "update":
            # [Update] lines follow the backward pass, usually after the iteration's display/lr lines
            if self.cur_kind != "update":
                self.pass_index += 1
                if self.cur_kind not in ("forward", "backward") or self.cur_phase != "train":
                    self.cur_iter = self.last_done
            self.cur_kind, self.cur_phase = "update", "train"
            return self.cur_iter, "train", self.pass_index
        new_pass = (self.cur_kind is None or self.cur_phase != self.phase
                    or (kind == "forward" and (self.cur_kind != "forward" or key in self.seen_forward)))
        if new_pass:
            self.pass_index += 1
            self.seen_forward = set()
            if self.phase == "test":
                self.cur_iter = self.test_iter
            elif kind == "forward" or self.cur_kind is None or self.cur_phase != self.phase:
                self.cur_iter = self.next_train
                self.train_seq += 1
                if self.next_train is not None:
                    self.next_train += 1
        elif kind != self.cur_kind:
            self.pass_index += 1  # forward -> backward -> update of the same iteration
        if kind == "forward":
            self.seen_forward.add(key)
        self.cur_kind, self.cur_phase = kind, self.phase
        return self.cur_iter, self.phase, self.pass_index


def parse_log(path: str | Path) -> LogData:
    p = Path(path)
    text = p.read_bytes().decode("utf-8", errors="replace")
    return parse_log_text(text, str(path))


def parse_log_text(text: str, path: str = "<log>") -> LogData:
    data = LogData(path=path)
    clock = _Clock()
    dbg = _DebugState()
    run: Run | None = None
    creating: str | None = None
    in_net_init = False
    pending_train: dict[int, TrainRow] = {}  # iteration -> row of the current run
    test_row: TestRow | None = None
    last_train: TrainRow | None = None

    def new_run(lineno: int) -> Run:
        nonlocal pending_train, test_row, last_train
        r = Run(index=len(data.runs), line=lineno)
        data.runs.append(r)
        pending_train, test_row, last_train = {}, None, None
        return r

    def touch(r: Run, it: int) -> None:
        if r.first_iteration is None:
            r.first_iteration = it
        r.last_iteration = it

    def train_row(it: int, secs: float, lineno: int) -> TrainRow:
        nonlocal last_train
        row = pending_train.get(it)
        if row is None:
            row = TrainRow(iteration=it, seconds=secs, line=lineno, run=run.index)
            pending_train[it] = row
            data.train.append(row)
        last_train = row
        touch(run, it)
        return row

    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r")
        m = GLOG.match(line)
        if m is None:
            if LOOKS_LIKE_GLOG.match(line):
                data.malformed.append((lineno, line))
            elif "Check failed" in line:
                data.fatal.append(FatalLine(lineno, "?", "", line.strip(), creating if in_net_init else None))
            continue
        try:
            secs = clock.seconds(m["date"], m["time"])
        except ValueError:
            data.malformed.append((lineno, line))
            continue
        if data.start is None:
            data.start = clock.start
        msg, sev = m["msg"], m["sev"]
        try:
            if sev == "F" or "Check failed" in msg or "Cannot copy param" in msg or "Unknown layer type" in msg:
                data.fatal.append(FatalLine(lineno, sev, m["src"], msg.strip(), creating if in_net_init else None))
                continue
            if RUN_START.match(msg):
                run = new_run(lineno)
                dbg.restart(0)
                continue
            if NET_INIT.match(msg):
                in_net_init, creating = True, None
                continue
            if NET_DONE.match(msg):
                in_net_init = False
                continue
            if (c := CREATING.match(msg)) is not None:
                creating = c[1]
                continue
            if run is None and (RESTORE.search(msg) or DEBUG_HINT.match(msg) or msg.startswith("Iteration ")
                                or TEST_OUT.match(msg) or TRAIN_OUT.match(msg)):
                run = new_run(lineno)  # a log fragment without its header
            if (r := RESTORE.search(msg)) is not None:
                run.restored_from = r[1]
                dbg.restart(None)
                continue
            if DEBUG_HINT.match(msg):
                _debug_line(data, dbg, lineno, line, msg)
                continue
            if NORMS.match(msg):
                continue
            if (t := TESTING.match(msg)) is not None:
                it, net = int(t[1]), int(t[2])
                test_row = TestRow(iteration=it, seconds=secs, line=lineno, run=run.index, net=net)
                data.test.append(test_row)
                touch(run, it)
                dbg.anchor_test(it)
                continue
            if (t := TEST_OUT.match(msg)) is not None:
                if test_row is None:
                    raise ValueError("test output before any 'Testing net' line")
                name = t[2] if test_row.net == 0 else f"test{test_row.net}/{t[2]}"
                test_row.outputs[name] = to_float(t[3])
                dbg.end_test()
                continue
            if (t := TRAIN_DISPLAY.match(msg) or TRAIN_LOSS.match(msg)) is not None:
                it = int(t[1])
                loss = to_float(t[2])
                train_row(it, secs, lineno).loss = loss
                dbg.end_test()
                dbg.anchor_train(it)
                continue
            if (t := TRAIN_OUT.match(msg)) is not None:
                if last_train is None:
                    raise ValueError("train output before any 'Iteration' line")
                last_train.outputs[t[2]] = to_float(t[3])
                continue
            if (t := LR.match(msg)) is not None:
                it = int(t[1])
                train_row(it, secs, lineno).lr = to_float(t[2])
                dbg.anchor_train(it)
                continue
            if msg.startswith("Iteration ") and ("loss" in msg or "lr" in msg or "Testing" in msg):
                raise ValueError("unreadable iteration line")
        except ValueError:
            data.malformed.append((lineno, line))
    return data


def _debug_line(data: LogData, dbg: _DebugState, lineno: int, line: str, msg: str) -> None:
    if NORMS.match(msg):
        return
    d = DEBUG.match(msg)
    if d is not None:
        kind = d["pass"].lower()
        value = to_float(d["value"])
        it, phase, idx = dbg.place(kind, (d["layer"], d["role"], d["blob"]))
        data.debug.append(DebugLine(lineno, it, phase, kind, d["layer"], d["role"], d["blob"], d["what"], value,
                                    pass_index=idx))
        dbg.remember(data.debug[-1])
        return
    u = UPDATE.match(msg)
    if u is not None:
        diff, value = to_float(u["diff"]), to_float(u["data"])
        it, phase, idx = dbg.place("update", (u["layer"], "param", u["blob"]))
        data.debug.append(DebugLine(lineno, it, phase, "update", u["layer"], "param", u["blob"], "diff", diff,
                                    data=value, pass_index=idx))
        dbg.remember(data.debug[-1])
        return
    raise ValueError("unreadable debug_info line")
