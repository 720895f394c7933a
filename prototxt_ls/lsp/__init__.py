"""The language server: a thin adapter from LSP (pygls) to the analysis core.

Imported only by ``prototxt-ls serve``; the linter never imports pygls.
"""
