"""The settings reference (docs/settings.md), generated from the models and the comments beside them.

Every setting's name, TOML section, environment variable, type and default come from the pydantic
models; its description is the comment written above or beside the field in this package, so the
reference cannot drift from the code (a test compares the committed page with a fresh rendering).

    .venv/bin/python -m voicebot.config.reference > docs/settings.md
"""

from __future__ import annotations

import inspect
import io
import re
import tokenize
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from voicebot.config import Settings

_FIELD = re.compile(r"^\s{4}(\w+)\s*:")


def field_comments(model: type[BaseModel]) -> dict[str, str]:
    """Comment text per field: the comment lines right above it, then the one at its line's end."""
    source = inspect.getsource(model)
    lines = source.splitlines()
    trailing: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT and lines[tok.start[0] - 1][: tok.start[1]].strip():
            trailing[tok.start[0]] = tok.string.lstrip("#").strip()
    out: dict[str, str] = {}
    above: list[str] = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("#") and line.startswith("    ") and not line.startswith("     "):
            above.append(stripped.lstrip("#").strip())
            continue
        match = _FIELD.match(line)
        if match and match.group(1) in model.model_fields:
            text = " ".join([*above, trailing.get(number, "")]).strip()
            out[match.group(1)] = text
        above = []
    return out


def _type_name(info: FieldInfo) -> str:
    text = str(info.annotation).replace("typing.", "")
    text = re.sub(r"<class '([\w.]+)'>", lambda m: m.group(1).rsplit(".", 1)[-1], text)
    return re.sub(r"\b[\w.]+\.(\w+)", r"\1", text).replace("pydantic.types.", "")


def _default(info: FieldInfo) -> str:
    if info.default_factory is not None:
        value: Any = info.default_factory()  # type: ignore[call-arg]
    elif info.default is PydanticUndefined:
        return "(required)"
    else:
        value = info.default
    if isinstance(value, BaseModel):
        return "(see below)"
    if hasattr(value, "get_secret_value"):
        return '""' if not value.get_secret_value() else "(secret)"
    text = repr(value)
    if "/.cache/" in text or text.startswith("PosixPath("):
        return "(under the cache directory)"
    return text.replace("|", "\\|")


def _table(section: str, model: type[BaseModel], env_prefix: str, heading: str) -> list[str]:
    out = [f"{heading} `[{section}]`", ""]
    doc = inspect.cleandoc(model.__doc__) if model.__doc__ else ""  # its own, not BaseModel's
    if doc:
        out += [doc.split("\n\n")[0].replace("\n", " "), ""]
    out += ["| setting | type | default | environment | what it does |", "|---|---|---|---|---|"]
    comments = field_comments(model)
    nested = []
    for name, field in model.model_fields.items():
        env = f"{env_prefix}__{name.upper()}"
        what = comments.get(name, "").replace("|", "\\|")
        out.append(f"| `{name}` | `{_type_name(field)}` | `{_default(field)}` | `{env}` | {what} |")
        if inspect.isclass(field.annotation) and issubclass(field.annotation, BaseModel):
            nested.append((f"{section}.{name}", field.annotation, env))
    out.append("")
    for sub_section, sub_model, sub_env in nested:
        out += _table(sub_section, sub_model, sub_env, "###")
    return out


def render() -> str:
    out = ["# Settings reference", "",
           "Generated from `voicebot/config/` by `python -m voicebot.config.reference`; do not edit by hand.",
           "Each setting is set in `voicebot.toml` (the file `VOICEBOT_CONFIG` names) under its `[section]`, or",
           "by the environment variable shown (which wins). Lists and tables in the environment are JSON.", ""]
    for section, info in Settings.model_fields.items():
        model = info.annotation
        if inspect.isclass(model) and issubclass(model, BaseModel):
            out += _table(section, model, f"VOICEBOT_{section.upper()}", "##")
    return "\n".join(out)


if __name__ == "__main__":
    print(render(), end="")
