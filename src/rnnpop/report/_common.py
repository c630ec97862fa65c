"""What both reports share: figures embedded as PNG, tables, hardware, the HTML file."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import jinja2

from ..store._hardware import hardware

DPI = 192
"""Rendered at twice the displayed density: sharp on any screen (displayed at 96 px/inch)."""


def png_uri(figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def display_size(figure) -> dict:
    """The displayed size in CSS pixels (96 per inch) of a figure saved at :data:`DPI`."""
    if figure is None:
        return {}
    width, height = figure.get_size_inches()
    return {"width": round(width * 96), "height": round(height * 96)}


def hardware_line(manifests: dict[str, dict]) -> str:
    for manifest in manifests.values():
        if "hardware" in manifest:
            h = manifest["hardware"]
            return f"{h['cpu']}, {h['cores']} cores; JAX {h['jax']} on {h['backend']} ({h['devices']})"
    h = hardware()
    return f"not recorded with the run; the report was built on {h['cpu']}, {h['cores']} cores"


def html_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p><em>none</em></p>"
    return frame.to_html(index=False, border=0, classes="data", float_format=lambda x: f"{x:.4g}",
                         na_rep="–", escape=True)


def figure_items(figures) -> list[dict]:
    """The template's view of report :class:`Figure` s (no image where one was not drawn)."""
    return [{"title": f.title, "caption": f.caption, **({"src": png_uri(f.figure), **display_size(f.figure)}
                                                          if f.figure is not None else {"src": None})}
            for f in figures]


def write_html(template: str, path: Path, **context) -> Path:
    """Render ``template`` with ``context`` into ``path``, atomically."""
    environment = jinja2.Environment(loader=jinja2.PackageLoader("rnnpop.report", "templates"),
                                     autoescape=jinja2.select_autoescape(["html", "j2"]))
    text = environment.get_template(template).render(**context)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
