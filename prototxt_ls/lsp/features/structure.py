"""Structure: document symbols, folding ranges, selection ranges.

* Document symbols, hierarchical.  A net: the net (kind Module, named by its
  ``name:``), then each layer (kind Class) with its type and output shape as
  detail (``Convolution 64x20x24x24``: the tops' shapes in the first phase
  that builds the layer), its parameter blocks as children (kind Struct);
  other net-level fields are Properties.  A solver: its fields (kind
  Property); a block's fields are its children.
* Folding ranges: every block (``{}``/``<>``) and list (``[]``) spanning
  several lines, from the line of its field name to the line before its
  closing bracket (to the bracket's line when text precedes it there), and
  every run of two or more whole-line comments (kind Comment).
* Selection ranges: string contents -> token -> value -> field -> enclosing
  block -> its field -> ... -> the layer -> the whole file.

All of it reads the recovering parser's tree, so files with syntax errors
(unclosed blocks included) and V0/V1 nets get answers too.
"""

from __future__ import annotations

from lsprotocol import types as lsp

from ...layers.shapes import fmt
from ...model.net import LayerView, build_net
from ...syntax.lexer import end_of, start_of
from ...syntax.tree import Document, Field, ListValue, Message, Scalar
from ..documents import Analysis
from ..server import PrototxtServer, safe
from .navigation import cursor_offset, span_range, string_contents

_PHASES = ("TRAIN", "TEST")
_DETAIL_MAX = 60


def _end(value) -> int:
    """End offset of a value (a recovered, unclosed block ends where its close token was put)."""
    if isinstance(value, Scalar):
        return end_of(value.last)
    if isinstance(value, (Message, ListValue)):
        if value.close is not None:
            return end_of(value.close)
        return value.range.end.offset
    return 0


def _start(f: Field) -> int:
    return start_of(f.name_token)


def _whole(a: Analysis) -> lsp.Range:
    return span_range(a, 0, len(a.text))


def _field_range(a: Analysis, f: Field) -> lsp.Range:
    return span_range(a, _start(f), max(_start(f), _end(f.value)))


def _name_range(a: Analysis, f: Field) -> lsp.Range:
    return span_range(a, start_of(f.name_token), end_of(f.name_token))


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 3] + "..."


# ---------------------------------------------------------------------- document symbols
def _block_detail(m: Message) -> str | None:
    """``phase: TRAIN`` for a small block of scalars, else nothing."""
    if not m.fields or len(m.fields) > 3 or not all(isinstance(f.value, Scalar) for f in m.fields):
        return None
    return _short(", ".join(f"{f.name}: {f.value.text}" for f in m.fields))


def _generic(a: Analysis, m: Message, kind: lsp.SymbolKind, depth: int = 0) -> list[lsp.DocumentSymbol]:
    """One symbol per field; a block's fields are its children."""
    out = []
    for f in m.fields:
        if not f.name:
            continue
        children = None
        if isinstance(f.value, Message):
            detail = _block_detail(f.value)
            if depth < 8:
                children = _generic(a, f.value, kind, depth + 1) or None
        elif isinstance(f.value, Scalar):
            detail = _short(f.value.text) or None
        else:
            detail = _short(a.text[start_of(f.value.open):_end(f.value)]) or None
        out.append(lsp.DocumentSymbol(name=f.name, kind=kind, range=_field_range(a, f),
                                      selection_range=_name_range(a, f), detail=detail, children=children))
    return out


def _blocks(a: Analysis, m: Message | None, skip: Field | None = None,
            depth: int = 0) -> list[lsp.DocumentSymbol]:
    """The parameter blocks of a layer (``convolution_param``, ``include``...) and their sub-blocks."""
    out = []
    if m is None:
        return out
    for f in m.fields:
        if f is skip or not f.name or not isinstance(f.value, Message):
            continue
        children = _blocks(a, f.value, None, depth + 1) if depth < 8 else []
        out.append(lsp.DocumentSymbol(name=f.name, kind=lsp.SymbolKind.Struct, range=_field_range(a, f),
                                      selection_range=_name_range(a, f), detail=_block_detail(f.value),
                                      children=children or None))
    return out


def _top_shapes(a: Analysis, layer: LayerView) -> str | None:
    net = a.result.net
    if net is None or not layer.tops:
        return None
    for phase in _PHASES:
        pr = net.phases.get(phase)
        if pr is None:
            continue
        for lr in pr.layers:
            if lr.layer is layer:
                if all(s is None for s in lr.tops):
                    return None
                return ", ".join(fmt(s) for s in lr.tops)
    return None


def _layer_symbol(a: Analysis, layer: LayerView, extra: list[Field]) -> lsp.DocumentSymbol | None:
    block = layer.block
    if block is None:
        return None
    written = layer.type_written or layer.type
    shapes = _top_shapes(a, layer)
    detail = " ".join(x for x in (written, shapes) if x) or None
    nf = layer.name_field()
    if layer.style == "header":  # `input:` + `input_dim:` / `input_shape`: one symbol over them all
        fields = [block] + extra
        start = min(_start(f) for f in fields)
        end = max(_end(f.value) for f in fields)
        return lsp.DocumentSymbol(name=layer.name or "input", kind=lsp.SymbolKind.Class,
                                  range=span_range(a, start, end), selection_range=_name_range(a, block),
                                  detail=detail)
    if nf is not None and isinstance(nf.value, Scalar):
        s = nf.value
        sel = string_contents(s) or (start_of(s.first), end_of(s.last))
        selection = span_range(a, *sel)
    else:
        selection = _name_range(a, block)
    children = _blocks(a, layer.body)
    if layer.outer is not None and layer.outer is not layer.body:  # V0: blocks beside the inner `layer`
        inner = layer.outer.first("layer")
        children = _blocks(a, layer.outer, skip=inner) + children
    name = layer.name or f"({written or block.name} #{layer.index})"
    return lsp.DocumentSymbol(name=name, kind=lsp.SymbolKind.Class, range=_field_range(a, block),
                              selection_range=selection, detail=detail, children=children or None)


def _net_symbols(a: Analysis) -> list[lsp.DocumentSymbol]:
    result = a.result
    doc = result.document
    if result.net is not None:
        net = result.net.net
    else:
        from ...schema.loader import bundled_schema

        net = build_net(doc, result.schema or bundled_schema())
    root = doc.root
    header_fields = [f for n in ("input", "input_dim", "input_shape") for f in root.get(n)]
    by_block = {id(layer.block): layer for layer in net.layers if layer.block is not None}
    children: list[lsp.DocumentSymbol] = []
    header_done = False
    for f in root.fields:
        layer = by_block.get(id(f))
        if layer is not None and layer.style == "header":
            if not header_done:
                sym = _layer_symbol(a, layer, [h for h in header_fields if h is not f])
                if sym is not None:
                    children.append(sym)
                header_done = True
            continue
        if header_done and f in header_fields:
            continue
        if layer is not None:
            sym = _layer_symbol(a, layer, [])
            if sym is not None:
                children.append(sym)
        elif f.name and f.name != "name":
            children.extend(_generic(a, Message([f], None, None), lsp.SymbolKind.Property))
    name_field = root.first("name")
    if name_field is not None and isinstance(name_field.value, Scalar):
        s = name_field.value
        net_name = s.string_value if s.kind == "string" else s.text
        sel = span_range(a, *(string_contents(s) or (start_of(s.first), end_of(s.last))))
    else:
        net_name, sel = "", span_range(a, 0, 0)
    n = sum(1 for c in children if c.kind == lsp.SymbolKind.Class)
    return [lsp.DocumentSymbol(name=net_name or "net", kind=lsp.SymbolKind.Module, range=_whole(a),
                               selection_range=sel, detail=f"{n} layer{'s' if n != 1 else ''}",
                               children=children or None)]


def _is_net(a: Analysis) -> bool:
    result = a.result
    if result.root is not None:
        if result.root.name == "NetParameter":
            return True
        if result.root.name == "SolverParameter":
            return False
    return any(f.name in ("layer", "layers") and isinstance(f.value, Message) for f in result.document.root.fields)


def document_symbols(a: Analysis) -> list[lsp.DocumentSymbol]:
    doc = a.result.document
    if doc is None:
        return []
    if _is_net(a):
        return _net_symbols(a)
    kind = lsp.SymbolKind.Property if (a.result.root is not None and a.result.root.name == "SolverParameter") \
        else lsp.SymbolKind.Field
    return _generic(a, doc.root, kind)


# ---------------------------------------------------------------------- folding ranges
def _close_line(a: Analysis, value: Message | ListValue) -> int | None:
    """The last line a block's fold covers; None when it cannot be told."""
    lines = a.lines
    close = value.close
    if close is not None and close[1]:  # a real closing bracket
        line = lines.line_of(start_of(close))
        before = a.text[lines.line_starts[line]:start_of(close)]
        return line - 1 if not before.strip() else line
    # Closed by recovery: fold to the end of its last content.
    items = value.fields if isinstance(value, Message) else value.items
    if not items:
        return None
    last = items[-1]
    end = _end(last.value) if isinstance(last, Field) else _end(last)
    return lines.line_of(max(end - 1, 0))


def _fold_blocks(a: Analysis, m: Message, out: list[lsp.FoldingRange], depth: int = 0) -> None:
    if depth > 200:
        return
    for f in m.fields:
        values = [f.value]
        if isinstance(f.value, ListValue):
            values += [v for v in f.value.items if isinstance(v, Message)]
        for v in values:
            if not isinstance(v, (Message, ListValue)) or v.open is None:
                continue
            start = a.lines.line_of(_start(f) if v is f.value else start_of(v.open))
            end = _close_line(a, v)
            if end is not None and end > start:
                out.append(lsp.FoldingRange(start_line=start, end_line=end))
            if isinstance(v, Message):
                _fold_blocks(a, v, out, depth + 1)


def _fold_comments(doc: Document, out: list[lsp.FoldingRange]) -> None:
    run_start = run_end = None
    for c in doc.comments:
        if not c.own_line:
            continue
        line = c.range.start.line
        if run_end is not None and line == run_end + 1:
            run_end = line
            continue
        if run_start is not None and run_end > run_start:
            out.append(lsp.FoldingRange(start_line=run_start, end_line=run_end, kind=lsp.FoldingRangeKind.Comment))
        run_start = run_end = line
    if run_start is not None and run_end > run_start:
        out.append(lsp.FoldingRange(start_line=run_start, end_line=run_end, kind=lsp.FoldingRangeKind.Comment))


def folding_ranges(a: Analysis) -> list[lsp.FoldingRange]:
    doc = a.result.document
    if doc is None:
        return []
    out: list[lsp.FoldingRange] = []
    _fold_blocks(a, doc.root, out)
    _fold_comments(doc, out)
    out.sort(key=lambda r: (r.start_line, -r.end_line))
    return out


# ---------------------------------------------------------------------- selection ranges
def _field_at(fields: list[Field], offset: int) -> Field | None:
    hit = None
    for f in fields:
        start, end = _start(f), _end(f.value)
        if start <= offset < end:
            return f
        if start <= offset <= end:
            hit = f  # touching its end: used unless a field starts right here
        elif start > offset:
            break
    return hit


def _scalar_spans(s: Scalar, offset: int, spans: list[tuple[int, int]]) -> None:
    spans.append((start_of(s.first), end_of(s.last)))
    for tok in (s.first, s.last):
        if start_of(tok) <= offset <= end_of(tok):
            spans.append((start_of(tok), end_of(tok)))
            break
    inner = string_contents(s)
    if inner is not None and inner[0] <= offset <= inner[1]:
        spans.append(inner)


def selection_spans(a: Analysis, offset: int) -> list[tuple[int, int]]:
    """Spans around ``offset``, outermost (the file) first."""
    doc = a.result.document
    spans: list[tuple[int, int]] = [(0, len(a.text))]
    if doc is None:
        return spans
    m = doc.root
    for _depth in range(200):
        f = _field_at(m.fields, offset)
        if f is None:
            break
        spans.append((_start(f), _end(f.value)))
        if start_of(f.name_token) <= offset <= end_of(f.name_token) and end_of(f.name_token) > start_of(f.name_token):
            spans.append((start_of(f.name_token), end_of(f.name_token)))
            break
        v = f.value
        if isinstance(v, ListValue):
            spans.append((start_of(v.open), _end(v)))
            item = next((it for it in v.items if it.range.start.offset <= offset <= _end(it)), None)
            if isinstance(item, Scalar):
                _scalar_spans(item, offset, spans)
                break
            if not isinstance(item, Message):
                break
            v = item
        if isinstance(v, Message):
            if v.open is None:
                break
            spans.append((start_of(v.open), _end(v)))
            if end_of(v.open) <= offset and (v.close is None or not v.close[1] or offset <= start_of(v.close)):
                m = v
                continue
            break
        if isinstance(v, Scalar):
            _scalar_spans(v, offset, spans)
        break
    # Keep strictly nested, distinct spans.
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if e < s:
            continue
        if out:
            ps, pe = out[-1]
            if (s, e) == (ps, pe) or s < ps or e > pe:
                continue
        out.append((s, e))
    return out


def selection_range(a: Analysis, pos: lsp.Position) -> lsp.SelectionRange:
    offset = cursor_offset(a, pos)
    if offset is None:  # outside the text: an empty range where asked
        return lsp.SelectionRange(range=lsp.Range(start=pos, end=pos))
    node = None
    for s, e in selection_spans(a, offset):
        node = lsp.SelectionRange(range=span_range(a, s, e), parent=node)
    return node


# ---------------------------------------------------------------------- handlers
def register(server: PrototxtServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @safe(list)
    def symbols(ls: PrototxtServer, params: lsp.DocumentSymbolParams):
        a = ls.analysis(params.text_document.uri)
        return document_symbols(a) if a is not None else []

    @server.feature(lsp.TEXT_DOCUMENT_FOLDING_RANGE)
    @safe(list)
    def folding(ls: PrototxtServer, params: lsp.FoldingRangeParams):
        a = ls.analysis(params.text_document.uri)
        return folding_ranges(a) if a is not None else []

    @server.feature(lsp.TEXT_DOCUMENT_SELECTION_RANGE)
    @safe(list)
    def selection(ls: PrototxtServer, params: lsp.SelectionRangeParams):
        a = ls.analysis(params.text_document.uri)
        if a is None:
            return []
        return [selection_range(a, p) for p in params.positions]


__all__ = ["document_symbols", "folding_ranges", "register", "selection_range", "selection_spans"]
