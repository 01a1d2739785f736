"""A self-contained HTML page: inline CSS, images embedded as data URIs, no external URL."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.6em 0; display: block;
        max-width: 100%; overflow-x: auto; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.4em 0; }
.note { color: #666; font-size: 0.85em; }
.row { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
.row img { max-width: 48%; }
"""


def image_tag(png: Path, alt: str) -> str:
    """An <img> with ``png`` embedded as a base64 data URI."""
    data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def table(df: pd.DataFrame, digits: int = 3) -> str:
    """An HTML table; a named index becomes the first column, a plain row number is hidden,
    booleans read yes/no."""
    df = df.round(digits).replace({True: "yes", False: "no"})
    if df.index.name:
        df = df.reset_index()
    return df.to_html(border=0, na_rep="–", index=not isinstance(df.index, pd.RangeIndex))


def link(path: Path, relative_to: Path, text: str) -> str:
    """A link to a file beside the report (relative, so the folder can move)."""
    href = Path(path).resolve().relative_to(Path(relative_to).resolve()).as_posix()
    return f'<a href="{html.escape(href)}">{html.escape(text)}</a>'


def leaderboard(summary: pd.DataFrame, metrics: dict[str, str], digits: int = 3) -> pd.DataFrame:
    """A BraTS-leaderboard view of a summary with ``{metric}_{mean,std,median,q25,q75}``
    columns: per metric (plain name from ``metrics``) "mean ± sd", median and quartiles."""
    out = pd.DataFrame(index=summary.index)
    if "cases" in summary:
        out["Cases"] = summary["cases"]
    f = f"{{:.{digits}f}}"
    for key, name in metrics.items():
        out[f"{name} mean ± sd"] = [
            f"{f.format(m)} ± {f.format(s)}" if pd.notna(m) else "–"
            for m, s in zip(summary[f"{key}_mean"], summary[f"{key}_std"].fillna(0))
        ]
        out[f"{name} median"] = summary[f"{key}_median"].map(
            lambda v: f.format(v) if pd.notna(v) else "–"
        )
        out[f"{name} quartiles"] = [
            f"{f.format(a)}–{f.format(b)}" if pd.notna(a) else "–"
            for a, b in zip(summary[f"{key}_q25"], summary[f"{key}_q75"])
        ]
    out.index.name = "Region"
    return out


def page(title: str, sections: list[tuple[str, str]], footer: str = "") -> str:
    """A full HTML document from (heading, inner HTML) sections."""
    body = "\n".join(f"<h2>{html.escape(h)}</h2>\n{content}" for h, content in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n"
        f"<body><h1>{html.escape(title)}</h1>\n{body}\n"
        f'<p class="note">{html.escape(footer)}</p></body></html>\n'
    )
