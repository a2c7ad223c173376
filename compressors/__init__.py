"""Format-aware compressors for coding agents' tool outputs. Pure: no I/O."""

from trimline.compressors.base import Context, Elision, Result
from trimline.compressors.registry import DEFAULT_THRESHOLD, compress

__all__ = ["DEFAULT_THRESHOLD", "Context", "Elision", "Result", "compress"]
