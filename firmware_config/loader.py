"""Load a gate config file; every error names its line, key path and reason."""

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from firmware_config.model import GateConfig


class ConfigError(Exception):
    """A config file that cannot be used; ``problems`` holds one line per error."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))
        self.path = path
        self.problems = problems


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Walk the composed YAML tree along a pydantic error location; 1-based line."""
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            # A key absent from the file is a union tag pydantic adds (``usb`` in
            # ``source.usb.index``) or a missing field: stay on the enclosing node.
            node = next((v for k, v in node.value if k.value == str(key)), node)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
    return node.start_mark.line + 1 if node is not None else None


def load_config(path: str | Path) -> GateConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, [f"cannot read: {exc.strerror}"]) from None
    try:
        tree = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise ConfigError(path, [f"{where}invalid YAML: {getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(data, dict):
        raise ConfigError(path, ["line 1: the file must be a mapping of settings"])
    try:
        config = GateConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.endswith("]")))
            line = _line_of(tree, loc)
            key = ".".join(str(p) for p in loc) or "(top)"
            problems.append(f"line {line}: {key}: {err['msg']}" if line else f"{key}: {err['msg']}")
        raise ConfigError(path, problems) from None
    return config.resolve_paths(path.parent.resolve())
