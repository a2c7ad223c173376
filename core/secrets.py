"""Finding and masking credentials in text, with detect-secrets' plugins and a few patterns.

detect-secrets (Yelp, Apache-2.0) is a maintained set of detectors: AWS, GitHub, GitLab,
Slack, Stripe, OpenAI, JWT, private keys, basic-auth URLs, ``password = …`` assignments and
more. Only their patterns are used here, never their verification (which calls the
services), nor the entropy detectors (they would mask every commit hash and checksum).
Added: whole private-key blocks, Anthropic/OpenAI ``sk-…`` keys, ``Bearer`` tokens, and
``KEY=value`` / ``--password value`` / ``-H 'x-api-key: …'`` shapes seen in shell commands.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from functools import cache

MASK = "[secret masked]"

# A name that looks like it holds a credential (headers, query parameters, variables).
CREDENTIAL_NAME = re.compile(
    r"(key|token|secret|auth|passw|pwd|credential|signature|cookie|^sig$)",
    re.IGNORECASE,
)

_NAME = r"[A-Za-z0-9_.-]*(?:key|token|secret|passw(?:or)?d|pwd|auth|credential)[A-Za-z0-9_.-]*"
_OWN = (
    # A whole PEM private key block, raw or inside a JSON string (literal \n).
    r"-----BEGIN[A-Z ]*PRIVATE KEY(?: BLOCK)?-----.*?-----END[A-Z ]*PRIVATE KEY(?: BLOCK)?-----",
    # Provider keys: Anthropic sk-ant-…, OpenAI sk-…/sk-proj-…, and the like.
    r"\bsk-[A-Za-z0-9_-]{16,}",
    # A whole JWT (detect-secrets' pattern stops short of the signature).
    r"\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*",
    # Authorization header values, wherever they appear.
    # (A token has a digit or a symbol in it: "basic functionality" is prose.)
    r"(?i)(?<=bearer )(?=[A-Za-z._~+/=-]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{8,}",
    r"(?i)(?<=basic )(?=[A-Za-z]*[0-9+/=])[A-Za-z0-9+/=]{8,}",
    # user:password@ in a URL.
    r"(?<=://)[^/\s:@\"']+:[^/\s@\"']+(?=@)",
)
# Shapes of a credential in a shell command; broader than ``_OWN``, so only for commands
# (in a file or tool output they would catch ``cache_key = compute(x)``).
_SHELL = (
    # Header lines in a command or a dump: "x-api-key: VALUE", "Authorization: VALUE".
    rf"(?i)(?<![A-Za-z0-9_-])(?:{_NAME}|authorization|cookie)\s*:\s*(?!\s*\[secret)"
    r"[\"']?[^\s\"',;]{6,}",
    # Assignments and flags: TOKEN=VALUE, api_key: VALUE, --password VALUE, --token=VALUE.
    rf"(?i)\b{_NAME}\s*[=:]\s*[\"']?(?!\[secret)[^\s\"',;&]{{4,}}",
    rf"(?i)--{_NAME}[ =][\"']?(?!\[secret)[^\s\"']{{4,}}",
)


# Detectors keyed on a variable name (detect-secrets' keyword detector, and the vendor
# detectors built as "name = value" assignments) are slow on long text; they run only on
# lines holding one of these words.
_TRIGGER_WORDS = (
    "key", "pass", "pwd", "secret", "token", "auth", "contrase", "iam", "hmac", "cloudant",
    "softlayer",
)  # fmt: skip
# After the word, within the same name, an assignment: ``=``, ``:``, ``!=``, ``<-``.
_ASSIGNED = re.compile(r"[\w\"'\]\s.-]{0,40}?(?:[=:!]|<-)")


class _Rule:
    __slots__ = ("gated", "group", "pattern")

    def __init__(self, pattern: re.Pattern[str], group: int, gated: bool) -> None:
        self.pattern, self.group, self.gated = pattern, group, gated


@cache
def _rules(shell: bool) -> tuple[_Rule, ...]:
    from detect_secrets.plugins.base import RegexBasedDetector
    from detect_secrets.plugins.ip_public import IPPublicDetector
    from detect_secrets.plugins.keyword import (
        CONFIG_DENYLIST_REGEX_TO_GROUP,
        QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP,
    )

    rules = [_Rule(re.compile(p, re.DOTALL), 0, False) for p in _OWN]
    if shell:
        rules += [_Rule(re.compile(p), 0, False) for p in _SHELL]
    seen: set[str] = set()
    for plugin in _all_subclasses(RegexBasedDetector):
        if plugin is IPPublicDetector:  # an address is not a credential
            continue
        for pattern in getattr(plugin, "denylist", ()):
            if pattern.pattern not in seen:
                seen.add(pattern.pattern)
                # The whole match: a group may hold only a prefix (ghp, xox).
                rules.append(_Rule(pattern, 0, pattern.pattern.startswith("(?:(?<=\\W)")))
    for table in (QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP, CONFIG_DENYLIST_REGEX_TO_GROUP):
        for pattern, group in table.items():
            if pattern.pattern not in seen:
                seen.add(pattern.pattern)
                rules.append(_Rule(pattern, group, True))  # the value, not the name
    return tuple(rules)


def _all_subclasses(cls: type) -> Iterator[type]:
    import importlib
    import pkgutil

    import detect_secrets.plugins as package

    # Importing every plugin module registers its detector as a subclass.
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    seen: set[type] = set()
    stack = [cls]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
                yield sub


def _gated_lines(text: str) -> list[tuple[int, str]]:
    """(offset, line) of each line holding a trigger word followed by an assignment.

    ``str.find`` on the lower-cased text (C speed) finds the words; a regex over every
    position would cost more than the detectors it saves."""
    lowered = text.lower()
    starts: set[int] = set()
    for word in _TRIGGER_WORDS:
        at = lowered.find(word)
        while at >= 0:
            end = at + len(word)
            if _ASSIGNED.match(lowered, end):
                starts.add(lowered.rfind("\n", 0, at) + 1)
            at = lowered.find(word, end)
    lines: list[tuple[int, str]] = []
    for start in sorted(starts):
        end = text.find("\n", start)
        lines.append((start, text[start : len(text) if end < 0 else end]))
    return lines


def spans(text: str, shell: bool = False) -> list[tuple[int, int]]:
    """Where credentials are in ``text``: merged (start, end) spans. ``shell``: also the
    shapes a credential takes in a command line (``TOKEN=…``, ``--password …``,
    ``-H 'x-api-key: …'``)."""
    found: list[tuple[int, int]] = []
    gated: list[tuple[int, str]] | None = None
    for rule in _rules(shell):
        if rule.gated:
            if gated is None:
                gated = _gated_lines(text)
            chunks = gated
        else:
            chunks = [(0, text)]
        for offset, chunk in chunks:
            for m in rule.pattern.finditer(chunk):
                start, end = m.span(rule.group)
                if end - start < 3:
                    start, end = m.span()
                if end > start:
                    found.append((offset + start, offset + end))
    found.sort()
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def contains_secret(text: str, shell: bool = False) -> bool:
    return bool(spans(text, shell))


def mask(text: str) -> str:
    """``text`` with every credential found replaced by ``[secret masked]``."""
    found = spans(text)
    if not found:
        return text
    out: list[str] = []
    last = 0
    for start, end in found:
        out.append(text[last:start])
        out.append(MASK)
        last = end
    out.append(text[last:])
    return "".join(out)


def redact_url(url: str) -> str:
    """A URL as it may be printed: ``user:***@`` in place of ``user:password@``."""
    return re.sub(r"(?<=://)([^/\s:@]+):[^/\s@]+@", r"\1:***@", url)


class MaskSecrets(logging.Filter):
    """A log handler filter: a line that would show a credential shows it masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the handler's to report
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def mask_logs() -> None:
    """Masks credentials in whatever the root logger's handlers print or write."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, MaskSecrets) for f in handler.filters):
            handler.addFilter(MaskSecrets())
