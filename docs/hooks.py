"""mkdocs hooks: pages generated from the code at build time, so they cannot drift."""

MARKERS = {
    "<!-- study-file-reference -->": lambda: __import__("rnnpop.studyfile._reference", fromlist=["x"]).reference_markdown(),
    "<!-- run-store-layout -->": lambda: __import__("rnnpop.store._layout", fromlist=["x"]).layout_markdown(),
    "<!-- cli-reference -->": lambda: _cli(),
}


def _cli() -> str:
    from typer.main import get_command

    from rnnpop.cli import app

    command = get_command(app)
    out = []
    for name, sub in command.commands.items():
        out += [f"### `rnnpop {name}`", "", (sub.help or "").strip(), "", "| option | help |", "|---|---|"]
        for param in sub.params:
            names = ", ".join(f"`{o}`" for o in (param.opts or [param.name])) if param.param_type_name == "option" \
                else f"`{param.name.upper()}`"
            out.append(f"| {names} | {(getattr(param, 'help', '') or '').replace('|', '/')} |")
        out.append("")
    return "\n".join(out)


def on_page_markdown(markdown, page, config, files):
    for marker, make in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, make())
    return markdown
