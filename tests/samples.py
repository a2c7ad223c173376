"""Tool outputs shaped like real ones, for tests that need a long block quickly."""

from __future__ import annotations


def pytest_log() -> str:
    """A long, repetitive test log of the kind agents re-send every turn."""
    lines = ["============================= test session starts =============================="]
    lines += [
        f"tests/test_api.py::test_roundtrip[case{i}] PASSED{' ' * 20}[{i * 100 // 600:3d}%]"
        for i in range(600)
    ]
    lines += [
        "tests/test_api.py::test_edge FAILED                                       [100%]",
        "=================================== FAILURES ===================================",
        "__________________________________ test_edge ___________________________________",
        "    def test_edge():",
        ">       assert parse('') == []",
        "E       AssertionError: assert None == []",
        "tests/test_api.py:88: AssertionError",
        "=========================== short test summary info ============================",
        "FAILED tests/test_api.py::test_edge - AssertionError: assert None == []",
        "======================== 1 failed, 600 passed in 3.21s =========================",
    ]
    return "\n".join(lines)
