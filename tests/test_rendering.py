"""The sanitizing Markdown renderer, attacked with real attack strings."""

import pytest

from procedures.rendering.markdown import render_markdown

ATTACKS = [
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java&#x09;script:alert(1))",
    "[img](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<svg onload="alert(1)"><circle r="10"/></svg>',
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p onclick="alert(1)">hi</p>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<object data="data:text/html,<script>alert(1)</script>"></object>',
    '<a href="vbscript:msgbox(1)">x</a>',
    "<scr<script>ipt>alert(1)</script>",
    '<form action="https://evil.example"><input name="password"></form>',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "![x](https://evil.example/track.png)",
    '<base href="https://evil.example/">',
    '"><script>alert(1)</script>',
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_strings_never_reach_the_page(attack):
    html = str(render_markdown(attack)).lower()

    for forbidden in (
        "<script",
        "javascript:",
        "vbscript:",
        "data:",
        "onerror",
        "onload",
        "onclick",
        "<iframe",
        "<svg",
        "<object",
        "<form",
        "<input",
        "<link",
        "<img",
        "<base",
        "style=",
    ):
        assert forbidden not in html, f"{forbidden!r} survived in {html!r}"


def test_markdown_formatting_survives_sanitizing():
    html = str(
        render_markdown(
            "**Verify** the caller.\n\n- one\n- two\n\n[Policy](https://intranet.example/policy)"
        )
    )

    assert "<strong>Verify</strong>" in html
    assert "<li>one</li>" in html
    assert 'href="https://intranet.example/policy"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_author_headings_are_demoted_below_the_page_headings():
    html = str(render_markdown("# Big\n\n## Smaller"))

    assert "<h3>Big</h3>" in html
    assert "<h4>Smaller</h4>" in html
    assert "<h1" not in html and "<h2" not in html


def test_tables_are_kept():
    html = str(render_markdown("| a | b |\n|---|---|\n| 1 | 2 |"))

    assert "<table>" in html and "<td>1</td>" in html


def test_empty_text_renders_nothing():
    assert render_markdown("   ") == ""
