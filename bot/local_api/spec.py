"""The Bot API as data: the generator of ``botapi_spec.json`` and the checks built on it.

The JSON file next to this module is generated from the machine-readable Bot API description
published by PaulSonOfLars/telegram-bot-api-spec (MIT licence, attribution kept inside the
JSON under ``_source``). Regenerate it with::

    python -m bot.local_api.spec /path/to/api.json

The fake server uses it to refuse what Telegram refuses (unknown methods, missing required
parameters, values of the wrong basic type) and the tests use :func:`conformance_errors` to
check that every object the fake emits has the shape the real Bot API documents.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.local_api.models import UploadedFile

SPEC_PATH = Path(__file__).with_name("botapi_spec.json")

SOURCE_PROJECT = "PaulSonOfLars/telegram-bot-api-spec"
SOURCE_URL = "https://github.com/PaulSonOfLars/telegram-bot-api-spec"

PRIMITIVE_TYPES = frozenset({"Integer", "Float", "Boolean", "String"})
_ARRAY_PREFIX = "Array of "
_INT_RE = re.compile(r"[+-]?\d+")
_FLOAT_RE = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


class SpecTypeError(ValueError):
    """A value does not have the type the Bot API documents for it."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One parameter of a method or one field of a type."""

    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """One Bot API method: its parameters and what it returns."""

    name: str
    fields: tuple[FieldSpec, ...]
    returns: tuple[str, ...]

    def field(self, name: str) -> FieldSpec | None:
        """Return the parameter called ``name``, if the method has one."""
        for spec_field in self.fields:
            if spec_field.name == name:
                return spec_field
        return None

    @property
    def returns_true(self) -> bool:
        """Whether the method answers just ``true`` on success."""
        return self.returns == ("Boolean",)


@dataclass(frozen=True, slots=True)
class TypeSpec:
    """One Bot API type: its fields, or the subtypes it is a union of."""

    name: str
    fields: tuple[FieldSpec, ...]
    subtypes: tuple[str, ...]

    def field(self, name: str) -> FieldSpec | None:
        """Return the field called ``name``, if the type has one."""
        for spec_field in self.fields:
            if spec_field.name == name:
                return spec_field
        return None


@dataclass(frozen=True)
class BotApiSpec:
    """The reduced Bot API description the fake server works from."""

    version: str
    methods: Mapping[str, MethodSpec]
    types: Mapping[str, TypeSpec]
    source: Mapping[str, Any]

    @functools.cached_property
    def _methods_by_lower_name(self) -> dict[str, MethodSpec]:
        return {name.lower(): method for name, method in self.methods.items()}

    def method(self, name: str) -> MethodSpec | None:
        """Look a method up by name, case-insensitively like Telegram does."""
        return self._methods_by_lower_name.get(name.lower())

    def update_types(self) -> tuple[str, ...]:
        """Return the names of the optional fields of ``Update`` (the update kinds)."""
        update = self.types["Update"]
        return tuple(f.name for f in update.fields if f.name != "update_id")

    def coerce(self, types: Sequence[str], value: Any, *, path: str) -> Any:
        """Convert ``value`` to one of ``types`` the way the Bot API reads parameters.

        Strings (what form-encoded requests carry) are decoded according to the
        documented type: ``"123"`` becomes an Integer, ``"true"`` a Boolean and a JSON text an
        object or array; a string stays a string only where a String is allowed. Values that
        came from a JSON body must already have a matching basic type. Objects are checked
        recursively against the type definitions (required fields, basic types).

        Raises:
            SpecTypeError: the value matches none of ``types``.

        """
        errors: list[str] = []
        ordered = sorted(types, key=lambda t: t in ("String", "InputFile"))
        for type_name in ordered:
            try:
                return self._coerce_one(type_name, value, path=path)
            except SpecTypeError as exc:
                errors.append(str(exc))
        if len(errors) == 1:
            raise SpecTypeError(errors[0])
        expected = " or ".join(types)
        raise SpecTypeError(f"{path} must be of type {expected}")

    def _coerce_one(self, type_name: str, value: Any, *, path: str) -> Any:
        if type_name.startswith(_ARRAY_PREFIX):
            item_type = type_name[len(_ARRAY_PREFIX) :]
            items = _json_from_string(value, list, path=path, expected="an Array")
            if not isinstance(items, list):
                raise SpecTypeError(f"{path} must be an Array")
            return [
                self.coerce((item_type,), item, path=f"{path}[{index}]")
                for index, item in enumerate(items)
            ]
        if type_name == "Integer":
            if isinstance(value, int) and not isinstance(value, bool):
                return value
            if isinstance(value, str) and _INT_RE.fullmatch(value.strip()):
                return int(value.strip())
            raise SpecTypeError(f"{path} must be of type Integer")
        if type_name == "Float":
            if isinstance(value, int | float) and not isinstance(value, bool):
                return value
            if isinstance(value, str) and _FLOAT_RE.fullmatch(value.strip()):
                return float(value.strip())
            raise SpecTypeError(f"{path} must be of type Float")
        if type_name == "Boolean":
            if isinstance(value, bool):
                return value
            if isinstance(value, int) and value in (0, 1):
                return bool(value)
            if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
                return value.strip().lower() in ("true", "1")
            raise SpecTypeError(f"{path} must be of type Boolean")
        if type_name == "String":
            if isinstance(value, str):
                return value
            raise SpecTypeError(f"{path} must be of type String")
        if type_name == "InputFile":
            if isinstance(value, str) or _is_upload(value):
                return value
            raise SpecTypeError(f"{path} must be a file or a String")
        type_spec = self.types.get(type_name)
        if type_spec is None:
            raise SpecTypeError(f"{path} has unknown type {type_name}")
        if type_spec.subtypes:
            value = _json_from_string(value, dict, path=path, expected="an object")
            # A union: prefer the subtype that documents every field the value has.
            for subtype in type_spec.subtypes:
                sub_spec = self.types.get(subtype)
                if sub_spec is None or not isinstance(value, dict) or sub_spec.subtypes:
                    continue
                if set(value) <= {f.name for f in sub_spec.fields}:
                    with contextlib.suppress(SpecTypeError):
                        return self._coerce_one(subtype, value, path=path)
            return self.coerce(type_spec.subtypes, value, path=path)
        obj = _json_from_string(value, dict, path=path, expected="an object")
        if not isinstance(obj, dict):
            raise SpecTypeError(f"{path} must be an object")
        result: dict[str, Any] = dict(obj)
        for spec_field in type_spec.fields:
            field_value = obj.get(spec_field.name)
            if field_value is None:
                if spec_field.required:
                    raise SpecTypeError(f'can\'t find field "{spec_field.name}" in {path}')
                continue
            result[spec_field.name] = self.coerce(
                spec_field.types, field_value, path=f"{path}.{spec_field.name}"
            )
        return result

    def conformance_errors(self, type_name: str, value: Any, *, path: str = "") -> list[str]:
        """List how ``value`` departs from the documented shape of ``type_name``.

        Unlike :meth:`coerce` this is strict in both directions: basic types must match
        exactly (no decoding of strings) and fields the type does not document are reported.
        An empty list means the object is a well-formed Bot API object.
        """
        path = path or type_name
        if type_name.startswith(_ARRAY_PREFIX):
            if not isinstance(value, list):
                return [f"{path}: expected an array, got {type(value).__name__}"]
            item_type = type_name[len(_ARRAY_PREFIX) :]
            problems: list[str] = []
            for index, item in enumerate(value):
                problems += self.conformance_errors(item_type, item, path=f"{path}[{index}]")
            return problems
        if type_name in PRIMITIVE_TYPES:
            ok = {
                "Integer": isinstance(value, int) and not isinstance(value, bool),
                "Float": isinstance(value, int | float) and not isinstance(value, bool),
                "Boolean": isinstance(value, bool),
                "String": isinstance(value, str),
            }[type_name]
            return [] if ok else [f"{path}: expected {type_name}, got {value!r}"]
        type_spec = self.types.get(type_name)
        if type_spec is None:
            return [f"{path}: unknown type {type_name}"]
        if type_spec.subtypes:
            best: list[str] | None = None
            for subtype in type_spec.subtypes:
                problems = self.conformance_errors(subtype, value, path=path)
                if not problems:
                    return []
                if best is None or len(problems) < len(best):
                    best = problems
            return best or [f"{path}: matches no subtype of {type_name}"]
        if not isinstance(value, dict):
            return [f"{path}: expected a {type_name} object, got {type(value).__name__}"]
        problems = []
        known = {f.name for f in type_spec.fields}
        problems += [
            f"{path}.{key}: not a field of {type_name}" for key in value if key not in known
        ]
        for spec_field in type_spec.fields:
            if spec_field.name not in value:
                if spec_field.required:
                    problems.append(f"{path}.{spec_field.name}: required field is missing")
                continue
            alternatives: list[list[str]] = [
                self.conformance_errors(t, value[spec_field.name], path=f"{path}.{spec_field.name}")
                for t in spec_field.types
            ]
            if all(alternatives):
                fewest: list[str] = min(alternatives, key=len)
                problems.extend(fewest)
        return problems


def _is_upload(value: Any) -> bool:
    return isinstance(value, UploadedFile | bytes)


def _json_from_string(value: Any, wanted: type, *, path: str, expected: str) -> Any:
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError as exc:
            raise SpecTypeError(f"can't parse {path} JSON: {expected} expected") from exc
        if not isinstance(decoded, wanted):
            raise SpecTypeError(f"{path} must be {expected}")
        return decoded
    return value


def _reduce_fields(raw_fields: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"name": f["name"], "types": list(f["types"]), "required": bool(f["required"])}
        for f in raw_fields
    ]


def generate(api: Mapping[str, Any], licence_text: str | None = None) -> dict[str, Any]:
    """Reduce the full ``api.json`` to what the fake server needs.

    Keeps method names, parameters (name, types, required) and return types, and type
    names with their fields or subtypes; drops descriptions and links. The attribution of
    the source project (and its licence text, when given) goes under ``_source``.
    """
    source: dict[str, Any] = {
        "project": SOURCE_PROJECT,
        "url": SOURCE_URL,
        "license": "MIT",
        "copyright": "Copyright (c) 2020 Paul Larsen",
        "note": "Generated by `python -m bot.local_api.spec api.json`; reduced from the "
        "machine-readable Bot API description of the project above.",
    }
    if licence_text:
        source["license_text"] = licence_text
    methods = {
        name: {
            "returns": list(method.get("returns", [])),
            "fields": _reduce_fields(method.get("fields", [])),
        }
        for name, method in sorted(api["methods"].items())
    }
    types: dict[str, Any] = {}
    for name, type_def in sorted(api["types"].items()):
        entry: dict[str, Any] = {"fields": _reduce_fields(type_def.get("fields", []))}
        if type_def.get("subtypes"):
            entry["subtypes"] = list(type_def["subtypes"])
        types[name] = entry
    return {
        "_source": source,
        "version": api.get("version", ""),
        "release_date": api.get("release_date", ""),
        "methods": methods,
        "types": types,
    }


def write_spec(api_json: Path, target: Path = SPEC_PATH) -> dict[str, Any]:
    """Generate the reduced spec from ``api_json`` and write it to ``target``."""
    api = json.loads(api_json.read_text(encoding="utf-8"))
    licence = api_json.with_name("LICENSE")
    reduced = generate(api, licence.read_text(encoding="utf-8") if licence.exists() else None)
    target.write_text(dump_spec(reduced), encoding="utf-8")
    return reduced


def dump_spec(reduced: Mapping[str, Any]) -> str:
    """Serialise the reduced spec with one method or type per line (readable diffs)."""

    def one_line(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    lines = ["{"]
    for key in ("_source", "version", "release_date"):
        lines.append(f" {one_line(key)}: {json.dumps(reduced[key], ensure_ascii=False)},")
    for section in ("methods", "types"):
        entries = [f"  {one_line(name)}: {one_line(v)}" for name, v in reduced[section].items()]
        closing = "}," if section == "methods" else "}"
        lines += [f" {one_line(section)}: {{", ",\n".join(entries), f" {closing}"]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _fields(raw: Sequence[Mapping[str, Any]]) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(f["name"], tuple(f["types"]), bool(f["required"])) for f in raw)


def spec_from_dict(data: Mapping[str, Any]) -> BotApiSpec:
    """Build a :class:`BotApiSpec` from the reduced JSON structure."""
    methods = {
        name: MethodSpec(name, _fields(m["fields"]), tuple(m["returns"]))
        for name, m in data["methods"].items()
    }
    types = {
        name: TypeSpec(name, _fields(t.get("fields", [])), tuple(t.get("subtypes", [])))
        for name, t in data["types"].items()
    }
    return BotApiSpec(
        version=str(data.get("version", "")),
        methods=methods,
        types=types,
        source=dict(data.get("_source", {})),
    )


@functools.cache
def load_spec(path: Path = SPEC_PATH) -> BotApiSpec:
    """Load (once) the reduced spec committed next to this module."""
    return spec_from_dict(json.loads(path.read_text(encoding="utf-8")))


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point: ``python -m bot.local_api.spec api.json [target.json]``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or len(args) > 2 or args[0] in ("-h", "--help"):
        print("usage: python -m bot.local_api.spec /path/to/api.json [target.json]")
        return 2
    target = Path(args[1]) if len(args) == 2 else SPEC_PATH
    reduced = write_spec(Path(args[0]), target)
    print(
        f"wrote {target}: {reduced['version']}, {len(reduced['methods'])} methods, "
        f"{len(reduced['types'])} types"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
