"""Navigation: go to definition, find references, document highlights, rename.

A net's names live in two namespaces:

* blobs, written in ``bottom:`` / ``top:`` (and the old ``input:`` header);
* layers, written in each layer's ``name:``.

Go to definition on a ``bottom`` jumps to the ``top`` that feeds it: the
nearest earlier producer of that blob in file order, among the layers built in
the same phase as the consuming layer (so a bottom after an in-place ReLU goes
to the ReLU's top, and a TEST-only layer's bottom goes to the TEST data
layer).  A consumer built in both phases may have one producer per phase: both
are answered.  In a solver, definition on ``net:`` / ``train_net:`` /
``test_net:`` opens the named file (relative paths: the solver's folder, then
the workspace root, then the folders the solver checks search).

References and highlights cover every bottom/top naming the blob (highlights:
Read for bottoms, Write for tops) or every layer name field with that name.
Rename changes the string contents at exactly those places, refusing a new
name that another blob (or layer) already has.

Everything works from the syntax tree and the net model, so files with syntax
errors (the parser recovers) and V0/V1 nets (``layers``) are served too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException

from ...model.net import LayerView, NetView, build_net
from ...model.phase import PHASES, NetStateView, included
from ...rules.solver_files import search_bases
from ...syntax.lexer import end_of, start_of
from ...syntax.tree import Field, Message, Scalar
from ..convert import to_lsp_range
from ..documents import Analysis, uri_to_path
from ..locate import cursor
from ..server import PrototxtServer, safe

#: LSP's RequestFailed: the request was valid but cannot be carried out.
REQUEST_FAILED = -32803
#: Solver fields that name a net file.
NET_PATH_FIELDS = ("net", "train_net", "test_net")


# ---------------------------------------------------------------------- positions
def cursor_offset(a: Analysis, pos: lsp.Position) -> int | None:
    """Our offset of an LSP position, or None when it lies outside the text."""
    found = cursor(pos, a.lines)
    return found.offset if found is not None else None


def span_range(a: Analysis, start: int, end: int) -> lsp.Range:
    """The LSP range of offsets ``[start, end)``."""
    return to_lsp_range(a.lines.range(start, end), a.lines)


def scalar_span(s: Scalar) -> tuple[int, int]:
    return start_of(s.first), end_of(s.last)


def string_contents(s: Scalar) -> tuple[int, int] | None:
    """Offsets of a plain string's contents (inside the quotes); None for
    escaped or multi-piece strings, whose contents are not one plain span."""
    if s.kind != "string" or len(s.parts) != 1 or s.first is not s.last:
        return None
    p = s.parts[0]
    if len(p) < 2 or p[0] != p[-1] or "\\" in p:
        return None
    return start_of(s.first) + 1, end_of(s.first) - 1


# ---------------------------------------------------------------------- the name index
@dataclass
class Ref:
    """One place a blob or layer name is written."""

    kind: str  # "bottom", "top" or "layer"
    name: str
    scalar: Scalar
    field: Field
    layer: LayerView | None  # None: an `input:` of a header Caffe drops

    @property
    def start(self) -> int:
        return start_of(self.scalar.first)

    @property
    def end(self) -> int:
        return end_of(self.scalar.last)

    @property
    def order(self) -> int:
        """The layer's place in file order (header inputs come first)."""
        return self.layer.index if self.layer is not None else -1

    @property
    def is_blob(self) -> bool:
        return self.kind != "layer"


@dataclass
class NameIndex:
    refs: list[Ref]
    #: Phase -> ids of the LayerViews built in that phase.
    members: dict[str, set[int]]

    def at(self, offset: int) -> Ref | None:
        for r in self.refs:
            if r.start <= offset <= r.end:
                return r
        return None

    def same(self, ref: Ref) -> list[Ref]:
        """Every place naming the same blob (bottoms and tops) or the same layer."""
        if ref.is_blob:
            return [r for r in self.refs if r.is_blob and r.name == ref.name]
        return [r for r in self.refs if r.kind == "layer" and r.name == ref.name]

    def blob_names(self) -> set[str]:
        return {r.name for r in self.refs if r.is_blob}

    def layer_names(self) -> set[str]:
        return {r.name for r in self.refs if r.kind == "layer"}

    def in_phase(self, ref: Ref, phase: str) -> bool:
        return ref.layer is None or id(ref.layer) in self.members.get(phase, ())

    def producers(self, ref: Ref) -> list[Ref]:
        """The tops a bottom reads: per phase the consumer is built in, the
        nearest earlier top of that name built in the same phase."""
        tops = [r for r in self.refs if r.kind == "top" and r.name == ref.name]
        earlier = [t for t in tops if t.order < ref.order]
        phases = [p for p in PHASES if self.in_phase(ref, p)]
        found: list[Ref] = []
        for p in phases:
            cands = [t for t in earlier if self.in_phase(t, p)]
            if cands:
                best = max(cands, key=lambda t: (t.order, t.start))
                if best not in found:
                    found.append(best)
        if not found and earlier:  # the consumer is built in no phase: any earlier producer
            found.append(max(earlier, key=lambda t: (t.order, t.start)))
        if not found and tops:  # produced only later (Caffe refuses it), still worth the jump
            found.append(tops[0])
        return sorted(found, key=lambda t: t.start)


def _net_layers(a: Analysis) -> tuple[list[LayerView], dict[str, set[int]]] | None:
    result = a.result
    doc = result.document
    if doc is None:
        return None
    if result.net is not None:
        layers = result.net.net.layers
        members = {p: {id(lr.layer) for lr in pr.layers} for p, pr in result.net.phases.items()}
        return layers, members
    is_net = result.root is not None and result.root.name == "NetParameter"
    if not is_net and not any(f.name in ("layer", "layers") and isinstance(f.value, Message)
                              for f in doc.root.fields):
        return None
    # A mixed-format net (no phase run) or a net whose root was not recognised.
    from ...schema.loader import bundled_schema

    schema = result.schema or bundled_schema()
    net: NetView = build_net(doc, schema)
    members = {p: {id(layer) for layer in net.layers
                   if included(layer, NetStateView(p, net.level, tuple(net.stages)), schema)}
               for p in PHASES}
    return net.layers, members


def _strings_of(f: Field):
    for v in f.values():
        if isinstance(v, Scalar) and v.kind == "string":
            yield v


def build_index(a: Analysis) -> NameIndex:
    found = _net_layers(a)
    if found is None:
        return NameIndex([], {})
    layers, members = found
    refs: list[Ref] = []
    has_header = False
    for layer in layers:
        has_header = has_header or layer.style == "header"
        seen: set[int] = set()
        for kind, blobs in (("bottom", layer.bottoms), ("top", layer.tops)):
            for b in blobs:
                f = b.field
                if f is None or id(f) in seen:
                    continue
                seen.add(id(f))
                refs.extend(Ref(kind, s.string_value, s, f, layer) for s in _strings_of(f))
        nf = layer.name_field()
        if nf is not None and isinstance(nf.value, Scalar) and nf.value.kind == "string":
            refs.append(Ref("layer", nf.value.string_value, nf.value, nf, layer))
    doc = a.result.document
    if not has_header and doc is not None:
        # `input: "data"` with no dims: Caffe drops it, but its name is still a blob name to rename.
        for f in doc.root.get("input"):
            refs.extend(Ref("top", s.string_value, s, f, None) for s in _strings_of(f))
    refs.sort(key=lambda r: r.start)
    return NameIndex(refs, members)


_CACHE: dict[str, tuple[Analysis, NameIndex]] = {}


def index_for(ls: PrototxtServer, uri: str) -> tuple[Analysis, NameIndex] | None:
    a = ls.analysis(uri)
    if a is None:
        return None
    hit = _CACHE.get(uri)
    if hit is not None and hit[0] is a:
        return hit
    entry = (a, build_index(a))
    if len(_CACHE) > 32:
        _CACHE.clear()
    _CACHE[uri] = entry
    return entry


def _ref_at(ls: PrototxtServer, uri: str, pos: lsp.Position) -> tuple[Analysis, NameIndex, Ref] | None:
    found = index_for(ls, uri)
    if found is None:
        return None
    a, index = found
    offset = cursor_offset(a, pos)
    if offset is None:
        return None
    ref = index.at(offset)
    return (a, index, ref) if ref is not None else None


def _location(uri: str, a: Analysis, ref: Ref) -> lsp.Location:
    return lsp.Location(uri=uri, range=span_range(a, ref.start, ref.end))


# ---------------------------------------------------------------------- solver net paths
def _net_path_at(a: Analysis, offset: int) -> Scalar | None:
    result = a.result
    if result.document is None or result.root is None or result.root.name != "SolverParameter":
        return None
    for f in result.document.root.fields:
        if f.name not in NET_PATH_FIELDS:
            continue
        for s in _strings_of(f):
            start, end = scalar_span(s)
            if start <= offset <= end:
                return s
    return None


def _workspace_roots(ls: PrototxtServer) -> list[Path]:
    roots: list[Path] = []
    for folder in list((ls.workspace.folders or {}).values()):
        p = uri_to_path(folder.uri)
        if p is not None:
            roots.append(p)
    if ls.workspace.root_path:
        roots.append(Path(ls.workspace.root_path))
    return roots


def resolve_net_path(ls: PrototxtServer, uri: str, raw: str) -> Path | None:
    """The file a solver's net path names: absolute as is; else from the solver's
    folder, the workspace root(s), then the folders the solver rules search."""
    p = Path(os.path.expanduser(raw))
    if p.is_absolute():
        return p if p.is_file() else None
    solver = uri_to_path(uri)
    bases: list[Path] = []
    if solver is not None:
        bases.append(solver.parent)
    bases.extend(_workspace_roots(ls))
    bases.extend(b for b, _label in search_bases(solver, ls.docs.config_for(solver)))
    for base in bases:
        cand = base / p
        if cand.is_file():
            return cand.resolve()
    return None


# ---------------------------------------------------------------------- rename helpers
def _escape(name: str, quote: str) -> str:
    out = name.replace("\\", "\\\\").replace(quote, "\\" + quote)
    return out.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def _replace(a: Analysis, s: Scalar, new: str) -> lsp.TextEdit:
    inner = string_contents(s)
    quote = s.parts[0][0] if s.parts and s.parts[0][:1] in ("'", '"') else '"'
    if inner is not None:
        return lsp.TextEdit(range=span_range(a, *inner), new_text=_escape(new, quote))
    start, end = scalar_span(s)
    return lsp.TextEdit(range=span_range(a, start, end), new_text=quote + _escape(new, quote) + quote)


@dataclass
class Refusal:
    """Why a rename cannot be done (sent back as a RequestFailed error)."""

    message: str


def _rename_edit(ls: PrototxtServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | Refusal:
    uri = params.text_document.uri
    found = _ref_at(ls, uri, params.position)
    if found is None:
        return Refusal("only a blob name (in a bottom or top) or a layer name can be renamed")
    a, index, ref = found
    new = params.new_name
    if new == ref.name:
        return lsp.WorkspaceEdit(changes={uri: []})
    if not new:
        return Refusal("the new name is empty")
    if ref.is_blob and new in index.blob_names():
        producers = [r.layer.name for r in index.refs
                     if r.kind == "top" and r.name == new and r.layer is not None and r.layer.name]
        by = f" (produced by layer '{producers[0]}')" if producers else ""
        return Refusal(f"a blob named '{new}' already exists{by}: renaming blob '{ref.name}' "
                            "to it would join the two")
    if not ref.is_blob and new in index.layer_names():
        return Refusal(f"a layer named '{new}' already exists: layers with one name share weights "
                            "and learning-rate settings in Caffe")
    edits = [_replace(a, r.scalar, new) for r in index.same(ref)]
    return lsp.WorkspaceEdit(changes={uri: edits})


# ---------------------------------------------------------------------- handlers
def register(server: PrototxtServer) -> None:
    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    @safe(None)
    def definition(ls: PrototxtServer, params: lsp.DefinitionParams):
        uri = params.text_document.uri
        a = ls.analysis(uri)
        if a is None:
            return None
        offset = cursor_offset(a, params.position)
        if offset is None:
            return None
        path_scalar = _net_path_at(a, offset)
        if path_scalar is not None:
            target = resolve_net_path(ls, uri, path_scalar.string_value)
            if target is None:
                return None
            zero = lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0))
            return [lsp.Location(uri=target.as_uri(), range=zero)]
        found = _ref_at(ls, uri, params.position)
        if found is None:
            return None
        a, index, ref = found
        if ref.kind == "bottom":
            targets = index.producers(ref)
        else:  # a top or a layer name is its own definition
            targets = [ref]
        return [_location(uri, a, t) for t in targets] or None

    @server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
    @safe(None)
    def references(ls: PrototxtServer, params: lsp.ReferenceParams):
        uri = params.text_document.uri
        found = _ref_at(ls, uri, params.position)
        if found is None:
            return None
        a, index, ref = found
        refs = index.same(ref)
        if not params.context.include_declaration:
            refs = [r for r in refs if r.kind == "bottom"] if ref.is_blob else [r for r in refs if r is not ref]
        return [_location(uri, a, r) for r in refs]

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
    @safe(None)
    def highlight(ls: PrototxtServer, params: lsp.DocumentHighlightParams):
        found = _ref_at(ls, params.text_document.uri, params.position)
        if found is None:
            return None
        a, index, ref = found
        kinds = {"bottom": lsp.DocumentHighlightKind.Read, "top": lsp.DocumentHighlightKind.Write,
                 "layer": lsp.DocumentHighlightKind.Text}
        return [lsp.DocumentHighlight(range=span_range(a, r.start, r.end), kind=kinds[r.kind])
                for r in index.same(ref)]

    @server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
    @safe(None)
    def prepare_rename(ls: PrototxtServer, params: lsp.PrepareRenameParams):
        found = _ref_at(ls, params.text_document.uri, params.position)
        if found is None:
            return None
        a, _index, ref = found
        span = string_contents(ref.scalar) or scalar_span(ref.scalar)
        return lsp.PrepareRenamePlaceholder(range=span_range(a, *span), placeholder=ref.name)

    compute = safe(None)(_rename_edit)

    @server.feature(lsp.TEXT_DOCUMENT_RENAME, lsp.RenameOptions(prepare_provider=True))
    def rename(ls: PrototxtServer, params: lsp.RenameParams):
        edit = compute(ls, params)
        if isinstance(edit, Refusal):
            raise JsonRpcException(edit.message, code=REQUEST_FAILED)
        return edit


__all__ = ["NameIndex", "Ref", "build_index", "cursor_offset", "register", "resolve_net_path",
           "scalar_span", "span_range", "string_contents"]
