"""Every message in the templates and the code is translated in both catalogs."""

from __future__ import annotations

import re

import pytest

from locales.catalog import LOCALES, extract, read_catalog

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
TAG = re.compile(r"</?([a-z\-]+)")


@pytest.fixture(scope="module")
def messages() -> dict[str, list[tuple[str, int]]]:
    return extract()


def test_messages_are_found_in_templates_and_code(
    messages: dict[str, list[tuple[str, int]]],
) -> None:
    sources = {path.split("/")[0] for places in messages.values() for path, _ in places}
    assert sources == {"locales", "bot"}
    assert "Bước %(step)s/%(total)s" in messages


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(
    locale: str, messages: dict[str, list[tuple[str, int]]]
) -> None:
    catalog = read_catalog(locale)
    missing = [msgid for msgid in messages if not (catalog.get(msgid) and catalog[msgid].string)]
    assert missing == [], f"{locale}: run `make catalogs` and translate: {missing[:5]}"


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_placeholders_and_tags(locale: str) -> None:
    for message in read_catalog(locale):
        if not message.id or not message.string:
            continue
        assert sorted(PLACEHOLDER.findall(str(message.string))) == sorted(
            PLACEHOLDER.findall(str(message.id))
        ), message.id
        assert sorted(TAG.findall(str(message.string))) == sorted(TAG.findall(str(message.id))), (
            message.id
        )


def test_vietnamese_messages_address_the_resident_politely() -> None:
    catalog = read_catalog("vi")
    rude = [m.id for m in catalog if m.id and re.search(r"\b(mày|bạn)\b", str(m.string))]
    assert rude == []
