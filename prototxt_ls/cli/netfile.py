"""Reading the one net a command works on (``shapes``, ``sim``): the file, ``--input`` sizes, the check.

Both commands need the same things before they start: the file's bytes,
the input shapes given on the command line, the project's configuration and
the static analysis; and the same clear usage errors when one is missing.
"""

from __future__ import annotations

from pathlib import Path

from ..analysis.check import CheckResult, check_bytes
from ..analysis.netcheck import parse_input_spec
from ..config import Config, load_config
from .main import UsageError


def input_shapes(specs: list[str] | None) -> dict:
    """``--input NAME=N,C,H,W`` options (repeatable) -> shapes by blob name."""
    shapes: dict = {}
    for spec in specs or []:
        try:
            shapes.update(parse_input_spec(spec))
        except ValueError as exc:
            raise UsageError(f"--input: {exc}") from None
    return shapes


def checked_net(path: Path, proto: Path | None, inputs: dict) -> tuple[Config, CheckResult]:
    """The file's configuration and check; a usage error when it cannot be read or is not a net."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    cfg = load_config(path)
    res = check_bytes(data, path, cfg, proto, inputs=inputs)
    if res.net is None:
        raise UsageError(f"{path} is not a net (it reads as {res.root.full_name if res.root else 'nothing'})")
    return cfg, res
