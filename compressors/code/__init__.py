"""File reads (Claude Code ``Read`` and its kin) shrunk to an outline.

A read result is the file with each line prefixed by its number: ``N\\t<text>``
(Claude Code today), or the number right-aligned and followed by ``→`` or a tab
(older Claude Code, ``cat -n``, SWE-agent's editor). Lines without a number
(a header, a trailing ``<system-reminder>``) are always kept. A plain ``cat``
of one file is read as if numbered from 1.

Source code becomes a tree-sitter outline. What a reader navigates by always
stays -- imports, declarations and signatures, decorators -- and the rest
competes for a budget: every function body, docstring or comment tail and
long constant is a candidate run, grown over the glue after it (blank lines,
closing brackets, the comment that introduces the next member), and runs are
elided longest first until the read is down to about a quarter of its tokens.
A run only goes if it is clearly bigger than the marker that replaces it
(markers name the function and tell how to read exactly those lines back:
file line numbers, ``offset``/``limit``), so short members stay whole.

Documents (Markdown, reStructuredText, text with headings) keep their headings,
the first line of each section and the opening line of each code block; the
section bodies compete for the same budget. Minified and generated files
(``.min.js``, source maps, lockfiles, lines averaging over 300 characters) keep
a few short leading lines and lose the rest behind one marker that says what
it was. Structured data (JSON, YAML, TOML, CSV, HTML) is left to others.

A read the agent aimed at a window (``offset``/``limit``) came back for a
reason: a short window is left alone, and so is a window into a document or a
generated file; a long window into source only loses the bodies of complete
functions. A re-read of an elided run therefore comes back whole.
"""

from trimline.compressors.code.files import claims
from trimline.compressors.code.numbered import sniff
from trimline.compressors.code.read import KIND, compress

__all__ = ["KIND", "claims", "compress", "sniff"]
