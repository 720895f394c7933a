"""Reading Caffe training logs (``prototxt-ls log``).

Why a package of its own: the log format (glog lines written by Caffe's solver
and by ``debug_info``) has nothing to do with the prototxt grammar, so none of
this touches the parser, the schema or the rules.  Each module is small and
pure (text in, dataclasses out) so the CLI and the tests share it:

- :mod:`.parser`    -- glog lines -> train/test tables, runs, raw debug_info lines
- :mod:`.debuginfo` -- debug_info lines -> verdicts (NaN/Inf, exploding, zero diffs)
- :mod:`.fatal`     -- ``Check failed`` / ``F...`` lines and the layer they name
- :mod:`.netmap`    -- where each layer of a net is written (for diagnostics)
- :mod:`.export`    -- CSV / JSON tables like Caffe's tools/extra/parse_log.py
- :mod:`.sparkline` -- a terminal summary that needs no matplotlib
"""

from .parser import LogData, parse_log, parse_log_text

__all__ = ["LogData", "parse_log", "parse_log_text"]
