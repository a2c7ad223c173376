"""The generalisation corpus: real tools run over real packages from PyPI and npm.

``build`` makes it (``python -m benchmarks.corpus.build``), ``load`` reads it back; the
cases, their facts and the tune/held-out split live under ``fixtures/corpus/`` (see its
README). Facts come from independent oracles (JUnit XML, JSON formatters, ``ast``,
``git --numstat``, ``find -printf``, ``rg --json``), never from Trimline's compressors.
"""
