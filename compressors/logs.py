"""Placeholder: being written."""

from __future__ import annotations

from compressors.base import Context, Plan

KIND = "logs"


def claims(ctx: Context) -> bool:
    return False


def sniff(text: str, ctx: Context) -> bool:
    return False


def compress(text: str, ctx: Context) -> Plan | None:
    return None
