"""Memory of the language server with a 10,000-line net open (issue 7: under 200 MB).

Starts ``python -m prototxt_ls serve`` as an editor would, speaks LSP to it
over stdio (initialize, didOpen of the net, then a few edits of it), waits
for each publishDiagnostics, and reads the server process's resident memory
(``VmRSS``) and its peak (``VmHWM``) from ``/proc`` (Linux).
Run: ``python benchmarks/bench_lsp_memory.py [--edits N] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_lsp_edit import ten_thousand_lines  # noqa: E402

URI = "file:///memory-bench/net.prototxt"


class Wire:
    """Just enough JSON-RPC over stdio to drive the server."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.next_id = 0

    def send(self, method: str, params: dict, request: bool = False) -> int | None:
        msg: dict = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            msg["id"] = self.next_id
        body = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()
        return msg.get("id")

    def read(self) -> dict:
        length = 0
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("the server closed its output")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(self.proc.stdout.read(length))

    def wait(self, pred, timeout: float = 120.0) -> dict:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            msg = self.read()
            if msg.get("method") == "workspace/configuration" and "id" in msg:
                body = json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": [None]}).encode()
                self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
                self.proc.stdin.flush()
                continue
            if pred(msg):
                return msg
        raise TimeoutError("no answer in time")


def _kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def measure(text: str, edits: int = 5) -> dict:
    proc = subprocess.Popen([sys.executable, "-m", "prototxt_ls", "serve"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    wire = Wire(proc)
    try:
        rid = wire.send("initialize", {"processId": None, "rootUri": None, "capabilities": {}}, request=True)
        wire.wait(lambda m: m.get("id") == rid)
        wire.send("initialized", {})
        idle = _kib(proc.pid, "VmRSS")
        wire.send("textDocument/didOpen", {"textDocument": {"uri": URI, "languageId": "prototxt", "version": 1,
                                                            "text": text}})
        is_diags = lambda v: lambda m: (m.get("method") == "textDocument/publishDiagnostics"  # noqa: E731
                                        and m["params"].get("version") == v)
        wire.wait(is_diags(1))
        opened = _kib(proc.pid, "VmRSS")
        mid = text.index("lr_mult: 1", len(text) // 2)
        for v in range(2, 2 + edits):
            new = text[:mid] + f"lr_mult: {v}" + text[mid + len("lr_mult: 1"):]
            wire.send("textDocument/didChange", {"textDocument": {"uri": URI, "version": v},
                                                 "contentChanges": [{"text": new}]})
            wire.wait(is_diags(v))
        edited = _kib(proc.pid, "VmRSS")
        peak = _kib(proc.pid, "VmHWM")
        sid = wire.send("shutdown", {}, request=True)
        wire.wait(lambda m: m.get("id") == sid)
        wire.send("exit", {})
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    mib = lambda k: round(k / 1024, 1)  # noqa: E731
    return {"lines": text.count("\n"), "idle_mib": mib(idle), "open_mib": mib(opened),
            "after_edits_mib": mib(edited), "peak_mib": mib(peak)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--edits", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    r = measure(ten_thousand_lines(), args.edits)
    if args.json:
        print(json.dumps(r, indent=2))
    else:
        print(f"{r['lines']} lines open: idle {r['idle_mib']} MiB, after open {r['open_mib']} MiB, "
              f"after {args.edits} edits {r['after_edits_mib']} MiB, peak {r['peak_mib']} MiB (target < 200 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
