"""A self-contained HTML page: inline CSS, images embedded as data URIs, no external URL."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.6em 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.4em 0; }
.note { color: #666; font-size: 0.85em; }
"""


def image_tag(png: Path, alt: str) -> str:
    """An <img> with ``png`` embedded as a base64 data URI."""
    data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def table(df: pd.DataFrame, digits: int = 3) -> str:
    return df.round(digits).to_html(border=0, na_rep="–")


def page(title: str, sections: list[tuple[str, str]], footer: str = "") -> str:
    """A full HTML document from (heading, inner HTML) sections."""
    body = "\n".join(f"<h2>{html.escape(h)}</h2>\n{content}" for h, content in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n"
        f"<body><h1>{html.escape(title)}</h1>\n{body}\n"
        f'<p class="note">{html.escape(footer)}</p></body></html>\n'
    )
