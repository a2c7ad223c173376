"""The web family: fetched or read HTML without its boilerplate, long pages as an outline."""

from __future__ import annotations

import json
import time
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from trimline.compressors import Context, compress, registry, web
from trimline.compressors.base import render
from trimline.compressors.tokens import count_tokens

from tests.laws import load as load_fixture
from tests.laws import markers, names, ordered_subset

NAMES = names("web")
load = partial(load_fixture, "web")


def curl(url: str = "https://example.com/docs/") -> Context:
    return Context("Bash", {"command": f"curl -s {url}"})


def run(text: str, ctx: Context) -> str:
    plan = web.compress(text, ctx)
    if plan is None:
        return text
    out, _ = render(text, plan, ctx)
    return out


def page(body: list[str], head: list[str] | None = None) -> str:
    head = head or [
        '<meta charset="utf-8">',
        *(f'<link rel="stylesheet" href="/static/css/part-{k}.css">' for k in range(12)),
        "<title>Widget Service Docs</title>",
        *(f'<script src="/static/js/chunk-{k}.js" defer></script>' for k in range(8)),
    ]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            "<html lang=en>",
            "<head>",
            *head,
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
        ]
    )


def script_block(n: int = 40) -> list[str]:
    return [
        "<script>",
        *(f"  window.__state_{k} = {{id: {k}, value: 'abcdefghij{k}'}};" for k in range(n)),
        "</script>",
    ]


def paragraphs(title: str, n: int) -> list[str]:
    return [
        f"<p>{title} paragraph {k}: the widget service accepts requests and answers them.</p>"
        for k in range(n)
    ]


# --------------------------------------------------------------------------- claims and sniff


@pytest.mark.parametrize("path", ["index.html", "docs/page.HTM", "/srv/site/a.xhtml"])
def test_claims_reads_of_html_files(path: str) -> None:
    assert web.claims(Context("Read", {"file_path": path}))
    assert web.claims(Context("Bash", {"command": f"cat {path}"}))


@pytest.mark.parametrize(
    "ctx",
    [
        Context("Bash", {"command": "curl -s https://example.com/"}),
        Context("Bash", {"command": "wget -qO- https://example.com/index.html"}),
        Context("Bash", {"command": "cat index.html | grep title"}),
        Context("Read", {"file_path": "sitemap.xml"}),
        Context("Read", {"file_path": "main.py"}),
        Context("Grep", {"pattern": "x"}),
        Context(),
    ],
)
def test_does_not_claim_by_command(ctx: Context) -> None:
    assert not web.claims(ctx)


@pytest.mark.parametrize("name", NAMES)
def test_sniffs_real_pages(name: str) -> None:
    text, _, _ = load(name)
    assert web.sniff(text, Context())


def test_sniffs_fragments_full_of_tags() -> None:
    fragment = "\n".join(
        f'<div class="row"><span>Row {k}</span><a href="/r/{k}">open</a></div>' for k in range(30)
    )
    assert web.sniff(fragment, Context())


NOT_HTML = {
    "xml": '<?xml version="1.0"?>\n<project>\n'
    + "\n".join(f"  <dependency><artifactId>lib{k}</artifactId></dependency>" for k in range(30))
    + "\n</project>",
    "markdown": "\n".join(f"## Section {k}\n\nSome text about {k}.\n" for k in range(20)),
    "python": "\n".join(f"{k}\tdef f{k}(x):\n{k}\t    return '<b>'" for k in range(1, 40)),
    "json": json.dumps({"items": [{"html": "<p>x</p>"}] * 30}, indent=2),
    "log": "\n".join(f"GET /index.html 200 {k}ms" for k in range(40)),
}


@pytest.mark.parametrize("name", sorted(NOT_HTML))
def test_does_not_sniff_other_output(name: str) -> None:
    assert not web.sniff(NOT_HTML[name], Context())


# --------------------------------------------------------------------------- fixtures


@pytest.mark.parametrize("name", NAMES)
def test_registry_routes_fixtures_here(name: str) -> None:
    text, ctx, _ = load(name)
    assert registry.pick(text, ctx) is web


def test_large_fixtures_save_seventy_percent() -> None:
    before = after = 0
    for name in NAMES:
        text, ctx, _ = load(name)
        result = compress(text, ctx)
        if count_tokens(text) >= 500:
            before += count_tokens(text)
            after += count_tokens(result.text)
    assert after <= 0.3 * before


def test_read_markers_use_file_lines_and_read_hint() -> None:
    text, ctx, _ = load("read_python_policy")
    out = compress(text, ctx).text
    first = markers(out)[0]
    assert "<head> boilerplate" in first
    assert f"Read file_path={ctx.file_path} offset=10 limit=13" in first


def test_long_page_becomes_an_outline() -> None:
    text, ctx, _ = load("read_python_policy")
    out = compress(text, ctx).text
    assert any("rest of section '3.1. Versions'" in m for m in markers(out))
    headings = [line for line in text.split("\n") if "<h2>" in line or "<h3>" in line]
    assert headings and all(h in out.split("\n") for h in headings)


# --------------------------------------------------------------------------- hand-made


def test_boilerplate_goes_and_content_stays() -> None:
    body = [
        "<h1>Widget Service</h1>",
        *paragraphs("Intro", 3),
        *script_block(),
        '<form action="/search" method="get">',
        '  <input type="text" name="q" placeholder="Search">',
        "</form>",
        "<table><tr><th>Name</th><th>Port</th></tr>",
        "<tr><td>api</td><td>8080</td></tr></table>",
        '<p>See the <a href="/docs/install.html">installation guide</a>.</p>',
        "<style>",
        *(f"  .c{k} {{ color: #{k:06x}; margin: {k}px; padding: {k}px; }}" for k in range(30)),
        "</style>",
    ]
    text = page(body)
    out = run(text, curl())
    found = markers(out)
    assert any("<head> boilerplate" in m for m in found)
    assert any("lines of <script>" in m for m in found)
    assert any("<style> (32)" in m for m in found)
    for kept in (
        "<title>Widget Service Docs</title>",
        "<h1>Widget Service</h1>",
        '  <input type="text" name="q" placeholder="Search">',
        "<table><tr><th>Name</th><th>Port</th></tr>",
        '<p>See the <a href="/docs/install.html">installation guide</a>.</p>',
        *paragraphs("Intro", 3),
    ):
        assert kept in out.split("\n")
    assert "window.__state_3" not in out
    assert ordered_subset(text, out)


def test_short_markup_between_text_stays() -> None:
    body = []
    for k in range(30):
        body += ['<div class="card">', "  <div>", f"    <p>Card {k} text</p>", "  </div>", "</div>"]
    text = page(body)
    out = run(text, curl())
    assert all(f"Card {k} text" in out for k in range(30))
    assert len(markers(out)) == 1  # the head only
    assert '<div class="card">' in out


def test_missing_head_end_does_not_swallow_the_body() -> None:
    text = page(paragraphs("Body", 5)).replace("</head>\n", "")
    out = run(text, curl())
    assert all(p in out for p in paragraphs("Body", 5))


def test_sections_fold_on_long_pages() -> None:
    body = []
    for k in range(12):
        body += [f'<h2 id="s{k}">Section {k}</h2>', *paragraphs(f"S{k}", 30)]
    text = page(body)
    out = run(text, curl())
    for k in range(12):
        assert f'<h2 id="s{k}">Section {k}</h2>' in out
        assert f"<p>S{k} paragraph 0:" in out
        assert f"rest of section 'Section {k}'" in out
    assert "<p>S3 paragraph 20:" not in out
    assert count_tokens(compress(text, curl()).text) < 0.3 * count_tokens(text)


def test_server_errors_stay() -> None:
    body = [
        *script_block(),
        "<br />",
        "<b>Fatal error</b>:  Uncaught Error: Call to undefined function foo() in /var/www/a.php:3",
        *script_block(),
    ]
    out = run(page(body), curl())
    assert "<b>Fatal error</b>:  Uncaught Error" in out


def test_svg_titles_are_not_page_titles() -> None:
    svg = [
        '<svg viewBox="0 0 10 10"><title>icon</title>',
        *(f'<path d="M{k} 0L{k} 10"/>' for k in range(40)),
        "</svg>",
    ]
    out = run(page([*svg, *paragraphs("P", 3)]), curl())
    assert "<title>icon</title>" not in out
    assert any("<svg>" in m for m in markers(out))


def test_numbered_read_window() -> None:
    lines = page([*script_block(), *paragraphs("Read", 4)]).split("\n")
    text = "\n".join(f"{k + 101}\t{line}" for k, line in enumerate(lines))
    ctx = Context("Read", {"file_path": "/srv/site/index.html", "offset": 101})
    out = run(text, ctx)
    assert any("Read file_path=/srv/site/index.html offset=" in m for m in markers(out))
    first = markers(out)[0]
    assert "lines 101-" in first and "offset=101 " in first  # file line numbers
    assert ordered_subset(text, out)


def test_minified_and_tiny_pages_are_left_alone() -> None:
    minified = "<!DOCTYPE html><html><head><title>x</title></head><body>" + "<p>t</p>" * 5000
    assert web.compress(minified, curl()) is None
    assert web.compress("<html><body><p>Hello</p></body></html>", curl()) is None


# --------------------------------------------------------------------------- robustness


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n",
        "<",
        "<script>" * 1000,
        "<!--" + "x\n" * 500,
        "<head>\n" + "<meta a=b>\n" * 500,
        "<" * 100_000,
        "<a " * 50_000,
        "<h1>" * 5000 + "\n" * 50,
        ("<div>\n" * 50 + "<h2\n") * 20,
        "\x00\x01\x02binary\xff" * 500,
        "x" * 1_000_000,
        "\r\r\r\n\n\t\t",
        "Exit code 1",
        "<!DOCTYPE html>\n" + "<p>a < b and c > d</p>\n" * 300,
    ],
)
def test_never_raises_on_junk(text: str) -> None:
    for ctx in (curl(), Context("Read", {"file_path": "x.html"}), Context()):
        plan = web.compress(text, ctx)
        if plan is not None:
            out, _ = render(text, plan, ctx)
            assert ordered_subset(text, out)
        web.sniff(text, ctx)
        web.claims(ctx)
        compress(text, ctx)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.from_regex(
                r" {0,4}<(script|style|svg|head|h[1-3]|p|div|title)( [a-z]+=\"x\")?>",
                fullmatch=True,
            ),
            st.from_regex(r" {0,4}</(script|style|svg|head|h[1-3]|p|div|title)>", fullmatch=True),
            st.from_regex(r"[A-Za-z <>!-]{0,60}", fullmatch=True),
            st.text(max_size=40),
        ),
        max_size=150,
    )
)
def test_laws_hold_on_random_input(lines: list[str]) -> None:
    text = "\n".join(lines)
    ctx = curl()
    plan = web.compress(text, ctx)
    if plan is None:
        return
    out, _ = render(text, plan, ctx)
    assert ordered_subset(text, out)
    again, _ = render(text, web.compress(text, ctx), ctx)  # type: ignore[arg-type]
    assert again == out


def test_fast_on_a_megabyte() -> None:
    body = []
    for k in range(800):
        body += [f"<h2>Part {k}</h2>", *paragraphs(f"P{k}", 12), *script_block(8)]
    text = page(body)
    assert len(text) > 1_000_000
    start = time.process_time()
    assert web.compress(text, curl()) is not None
    assert time.process_time() - start < 1.0
