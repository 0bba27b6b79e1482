"""The committed Bot API spec, its generator and the type checks built on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.local_api.spec import SPEC_PATH, SpecTypeError, generate, load_spec, main, spec_from_dict

SHARED_API_JSON = Path(__file__).resolve().parents[3] / "shared" / "telegram-bot-api" / "api.json"

TINY_API = {
    "version": "Bot API 0.1",
    "release_date": "today",
    "methods": {
        "sendThing": {
            "name": "sendThing",
            "description": ["Sends a thing."],
            "returns": ["Thing"],
            "fields": [
                {
                    "name": "chat_id",
                    "types": ["Integer", "String"],
                    "required": True,
                    "description": "where",
                },
                {"name": "flag", "types": ["Boolean"], "required": False, "description": "?"},
            ],
        }
    },
    "types": {
        "Thing": {
            "name": "Thing",
            "description": ["A thing."],
            "fields": [{"name": "id", "types": ["Integer"], "required": True, "description": "id"}],
        },
        "Any": {"name": "Any", "subtypes": ["Thing"]},
    },
}


def test_generator_keeps_names_types_required_flags_and_attribution() -> None:
    reduced = generate(TINY_API, "MIT License\n...")
    assert reduced["_source"]["project"] == "PaulSonOfLars/telegram-bot-api-spec"
    assert reduced["_source"]["license"] == "MIT"
    assert reduced["_source"]["license_text"].startswith("MIT License")
    assert reduced["methods"]["sendThing"] == {
        "returns": ["Thing"],
        "fields": [
            {"name": "chat_id", "types": ["Integer", "String"], "required": True},
            {"name": "flag", "types": ["Boolean"], "required": False},
        ],
    }
    assert reduced["types"]["Any"] == {"fields": [], "subtypes": ["Thing"]}
    assert '"description"' not in json.dumps([reduced["methods"], reduced["types"]])


def test_command_line_writes_a_loadable_spec(tmp_path: Path) -> None:
    source = tmp_path / "api.json"
    source.write_text(json.dumps(TINY_API))
    (tmp_path / "LICENSE").write_text("MIT License\n")
    target = tmp_path / "out.json"
    assert main([str(source), str(target)]) == 0
    spec = spec_from_dict(json.loads(target.read_text()))
    assert spec.method("SENDTHING") is not None
    assert spec.source["license_text"] == "MIT License\n"


@pytest.mark.skipif(not SHARED_API_JSON.exists(), reason="the shared api.json is not present")
def test_committed_spec_is_what_the_generator_makes_from_the_shared_api_json(
    tmp_path: Path,
) -> None:
    target = tmp_path / "spec.json"
    assert main([str(SHARED_API_JSON), str(target)]) == 0
    assert json.loads(target.read_text()) == json.loads(SPEC_PATH.read_text())


def test_committed_spec_describes_the_bot_api() -> None:
    spec = load_spec()
    assert spec.version.startswith("Bot API")
    assert "PaulSonOfLars" in spec.source["project"]
    send = spec.method("sendmessage")
    assert send is not None and send.name == "sendMessage"
    text = send.field("text")
    assert text is not None and text.required and text.types == ("String",)
    assert send.returns == ("Message",)
    assert {"message", "callback_query", "my_chat_member"} <= set(spec.update_types())


def test_coerce_decodes_form_strings_by_documented_type() -> None:
    spec = load_spec()
    assert spec.coerce(("Integer", "String"), "123", path="chat_id") == 123
    assert spec.coerce(("Integer", "String"), "@channel", path="chat_id") == "@channel"
    assert spec.coerce(("String",), "123", path="text") == "123"
    assert spec.coerce(("Boolean",), "true", path="b") is True
    assert spec.coerce(("Float",), "10.5", path="f") == 10.5
    assert spec.coerce(("Array of String",), '["message"]', path="a") == ["message"]
    scope = spec.coerce(("BotCommandScope",), '{"type": "chat", "chat_id": "5"}', path="scope")
    assert scope == {"type": "chat", "chat_id": 5}


@pytest.mark.parametrize(
    ("types", "value"),
    [
        (("Integer",), "abc"),
        (("Integer",), True),
        (("Boolean",), "maybe"),
        (("String",), 5),
        (("String",), {"a": 1}),
        (("Float",), "north"),
        (("Array of String",), "{}"),
        (("Array of Integer",), ["x"]),
        (("ReplyParameters",), '{"chat_id": 1}'),
    ],
)
def test_coerce_refuses_wrong_basic_types(types: tuple[str, ...], value: object) -> None:
    with pytest.raises(SpecTypeError):
        load_spec().coerce(types, value, path="p")


def test_conformance_reports_missing_unknown_and_mistyped_fields() -> None:
    spec = load_spec()
    good = {"id": 1, "is_bot": False, "first_name": "An"}
    assert spec.conformance_errors("User", good) == []
    problems = spec.conformance_errors("User", {"id": "1", "is_bot": False, "nick": "x"})
    assert any("User.id" in p for p in problems)
    assert any("first_name: required" in p for p in problems)
    assert any("nick: not a field" in p for p in problems)
