"""Frozen dataclasses <-> TOML tables, with type checks that name the bad key.

TOML has no null, so a field typed ``X | None`` whose value is ``None`` is written as the
string ``"none"`` and read back as ``None``. Tuples are written as arrays.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from go.errors import ZerogoError

NONE = "none"


class ConfigError(ZerogoError, ValueError):
    """A configuration value or file that cannot be used; the message names it."""


def load_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file; ``ConfigError`` naming the file and the problem."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from exc


def to_table(obj: Any) -> dict[str, Any]:
    """A dataclass instance as a TOML-ready dict (``None`` -> ``"none"``, tuples -> lists)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if value is None:
            value = NONE
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def from_table(cls: type, table: dict[str, Any], where: str, base: Any = None) -> Any:
    """Build ``cls`` from ``table`` (unknown keys refused), starting from ``base`` or defaults.

    Values are checked against the field types; errors name ``where`` and the key.
    """
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table, got {table!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r}; known keys are "
                          f"{', '.join(sorted(fields))}")
    values = {k: _coerce(v, hints[k], f"{where}.{k}") for k, v in table.items()}
    try:
        if base is not None:
            return dataclasses.replace(base, **values)
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from exc


def _coerce(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        optional = type(None) in args
        inner = [a for a in args if a is not type(None)]
        if optional and (value is None or value == NONE):
            return None
        errors = []
        for a in inner:
            try:
                return _coerce(value, a, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0] if errors else f"{where}: bad value {value!r}")
    if hint is Any:
        return value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected an array, got {value!r}")
        item = args[0] if args else Any
        return tuple(_coerce(v, item, where) for v in value)
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return value
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return from_table(hint, value, where)
    return value


def dumps(document: dict[str, Any], header: str = "") -> str:
    """Write ``document`` (scalars at the top, then one level of tables) as TOML."""
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    scalars = {k: v for k, v in document.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in document.items() if isinstance(v, dict)}
    for key, value in scalars.items():
        lines.append(f"{_key(key)} = {_value(value, key)}")
    for name, table in tables.items():
        lines.append("")
        lines.append(f"[{_key(name)}]")
        for key, value in table.items():
            if isinstance(value, dict):
                raise ConfigError(f"{name}.{key}: nested tables are not supported")
            lines.append(f"{_key(key)} = {_value(value, f'{name}.{key}')}")
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    if key and all(c.isalnum() or c in "_-" for c in key):
        return key
    return json.dumps(key)


def _value(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v, where) for v in value) + "]"
    if value is None:
        return json.dumps(NONE)
    raise ConfigError(f"{where}: cannot write {type(value).__name__} value {value!r} to TOML")
