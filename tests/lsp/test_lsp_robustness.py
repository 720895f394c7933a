"""The server under abuse: random edit sequences arriving faster than analysis,
requests at nonsense positions, a large file — it keeps answering, and the
diagnostics it ends with are exactly those of a fresh check of the final text."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

from lsp_helpers import open_doc, wait_diagnostics
from prototxt_ls.analysis.check import check_text
from prototxt_ls.lsp.convert import to_lsp_range

BASE = ('name: "robust"\nlayer {\n  name: "data"\n  type: "Input"\n  top: "data"\n'
        '  input_param { shape { dim: 1 dim: 3 dim: 16 dim: 16 } }\n}\n'
        'layer {\n  name: "conv1"\n  type: "Convolution"\n  bottom: "data"\n  top: "conv1"\n'
        '  convolution_param { num_output: 8 kernel_size: 3 }\n}\n'
        'layer {\n  name: "relu1"\n  type: "ReLU"\n  bottom: "conv1"\n  top: "conv1"\n}\n')
NOISE = list('{}[]<>:;,"\'#\n ') + ["layer {", "bottom: ", "kernel_size: 0", "é", "\U0001F600"]


def mutate(text: str, rng: random.Random) -> str:
    i = rng.randrange(len(text) + 1)
    op = rng.random()
    if op < 0.4 and text:
        return text[:i] + text[i + rng.randint(1, 5):]
    if op < 0.8:
        return text[:i] + rng.choice(NOISE) + text[i:]
    j = rng.randrange(len(text) + 1)
    return text[:min(i, j)] + text[max(i, j):] + text[min(i, j):max(i, j)]


def expected(text: str, uri_path: Path):
    res = check_text(text, uri_path)
    lines = res.document.lines
    return sorted((d.code, to_lsp_range(d.range, lines).start.line, to_lsp_range(d.range, lines).start.character)
                  for d in res.diagnostics)


async def test_random_edit_sequences_end_with_a_fresh_checks_diagnostics(client: LanguageClient, tmp_path: Path):
    rng = random.Random(1234)
    for round_ in range(3):
        path = tmp_path / f"net{round_}.prototxt"
        uri = open_doc(client, path, BASE)
        await wait_diagnostics(client, uri)
        text = BASE
        for version in range(2, 22):  # 20 edits, sent without waiting for analysis
            text = mutate(text, rng)
            client.text_document_did_change(lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))
        want = expected(text, path)
        got = None
        for _ in range(200):
            await asyncio.sleep(0.05)
            diags = client.diagnostics.get(uri)
            if diags is not None:
                got = sorted((d.code, d.range.start.line, d.range.start.character) for d in diags)
                if got == want:
                    break
        assert got == want, f"round {round_}: final text {text!r}"
        report = await client.text_document_diagnostic_async(
            lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri=uri)))
        assert sorted((d.code, d.range.start.line, d.range.start.character) for d in report.items) == want


async def test_nonsense_positions_answer_without_killing_the_server(client: LanguageClient, tmp_path: Path):
    uri = open_doc(client, tmp_path / "net.prototxt", BASE + "# \U0001F600\U0001F600\n")
    await wait_diagnostics(client, uri)
    doc = lsp.TextDocumentIdentifier(uri=uri)
    for line, char in ((0, 10_000), (10_000, 0), (21, 1), (21, 3), (2, 2**31 - 1)):  # 21:1 is mid-surrogate
        pos = lsp.Position(line=line, character=char)
        await client.text_document_hover_async(lsp.HoverParams(text_document=doc, position=pos))
        await client.text_document_completion_async(lsp.CompletionParams(text_document=doc, position=pos))
        await client.text_document_definition_async(lsp.DefinitionParams(text_document=doc, position=pos))
    # still alive and correct afterwards
    report = await client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(text_document=doc))
    assert list(report.items) == []


async def test_a_large_file_is_analysed(client: LanguageClient, tmp_path: Path):
    layers = "".join(
        f'layer {{\n  name: "r{i}"\n  type: "ReLU"\n  bottom: "data"\n  top: "r{i}"\n}}\n' for i in range(4000))
    text = BASE + layers + 'layer {\n  name: "bad"\n  type: "Relu"\n  bottom: "data"\n  top: "bad"\n}\n'
    uri = open_doc(client, tmp_path / "big.prototxt", text)
    diags = await wait_diagnostics(client, uri, timeout=60)
    assert [d.code for d in diags] == ["G307"]


def _five_megabytes() -> str:
    """A 5 MB net: a chain of small conv/ReLU blocks (shapes inferred all the way)."""
    blocks = []
    prev = "data"
    i = 0
    size = len(BASE)
    while size < 5_000_000:
        block = (f'layer {{\n  name: "c{i}"\n  type: "Convolution"\n  bottom: "{prev}"\n  top: "c{i}"\n'
                 f'  convolution_param {{ num_output: 8 kernel_size: 1 }}\n}}\n'
                 f'layer {{\n  name: "r{i}"\n  type: "ReLU"\n  bottom: "c{i}"\n  top: "c{i}"\n}}\n')
        blocks.append(block)
        size += len(block)
        prev = f"c{i}"
        i += 1
    return BASE + "".join(blocks)


async def test_a_five_megabyte_file_leaves_a_working_server(client: LanguageClient, tmp_path: Path):
    """While a 5 MB net is analysed the server still answers requests on other
    files; its diagnostics arrive, and an edit in its middle is re-checked."""
    big = _five_megabytes()
    assert len(big.encode()) >= 5_000_000
    small = open_doc(client, tmp_path / "small.prototxt", BASE)
    await wait_diagnostics(client, small)
    uri = open_doc(client, tmp_path / "big.prototxt", big)
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=small), position=lsp.Position(line=12, character=25)))
    assert hover is not None and "num_output" in str(hover.contents)
    assert list(await wait_diagnostics(client, uri, timeout=120)) == []
    at = big.index("num_output: 8", len(big) // 2)
    line = big.count("\n", 0, at)
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(
            text=big[:at] + "num_outpt: 8" + big[at + len("num_output: 8"):])]))
    for _ in range(1200):
        await asyncio.sleep(0.05)
        diags = client.diagnostics.get(uri) or []
        if any(d.code == "F101" for d in diags):
            break
    assert any(d.code == "F101" and d.range.start.line == line for d in diags), diags


def test_memory_with_a_ten_thousand_line_net_open_stays_under_200_mb():
    """The server process's peak resident memory (Linux /proc) with a
    10,000+-line net open and edited (benchmarks/bench_lsp_memory.py)."""
    import sys

    import pytest

    if not Path("/proc/self/status").is_file():
        pytest.skip("needs Linux /proc")
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from bench_lsp_memory import measure, ten_thousand_lines

    text = ten_thousand_lines()
    assert text.count("\n") >= 10_000
    r = measure(text, edits=3)
    assert r["peak_mib"] < 200, r
