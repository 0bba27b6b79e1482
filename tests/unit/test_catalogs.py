"""Every message in the templates and the code is translated in both catalogs."""

from __future__ import annotations

import re

import pytest

from locales.catalog import LOCALES, MessageId, extract, is_translated, read_catalog

PLACEHOLDER = re.compile(r"%\((\w+)\)s")
TAG = re.compile(r"</?([a-z\-]+)")


@pytest.fixture(scope="module")
def messages() -> dict[MessageId, list[tuple[str, int]]]:
    return extract()


def test_messages_are_found_in_templates_and_code(
    messages: dict[MessageId, list[tuple[str, int]]],
) -> None:
    sources = {path.split("/")[0] for places in messages.values() for path, _ in places}
    assert sources == {"locales", "bot"}
    assert "Bước %(step)s/%(total)s" in messages


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(
    locale: str, messages: dict[MessageId, list[tuple[str, int]]]
) -> None:
    catalog = read_catalog(locale)
    missing = [
        msgid
        for msgid in messages
        if (found := catalog.get(msgid)) is None or not is_translated(found.string)
    ]
    assert missing == [], f"{locale}: run `make catalogs` and translate: {missing[:5]}"


def _forms(text: object) -> list[str]:
    """Return a message's text, or each form of a counted one."""
    return [text] if isinstance(text, str) else [str(form) for form in text or ()]


@pytest.mark.parametrize("locale", LOCALES)
def test_translations_keep_placeholders_and_tags(locale: str) -> None:
    for message in read_catalog(locale):
        if not message.id or not is_translated(message.string):
            continue
        source = _forms(message.id)
        for form in _forms(message.string):
            assert sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(source[0])), (
                message.id
            )
            assert sorted(TAG.findall(form)) == sorted(TAG.findall(source[0])), message.id


@pytest.mark.parametrize(("locale", "forms"), [("vi", 1), ("en", 2)])
def test_counted_messages_have_each_form_of_the_language(locale: str, forms: int) -> None:
    catalog = read_catalog(locale)
    counted = [m for m in catalog if m.id and not isinstance(m.id, str)]
    assert catalog.num_plurals == forms
    assert counted, "no message is counted with ngettext"
    assert [m.id for m in counted if len(_forms(m.string)) != forms] == []


def test_vietnamese_messages_address_the_resident_politely() -> None:
    catalog = read_catalog("vi")
    rude = [m.id for m in catalog if m.id and re.search(r"\b(mày|bạn)\b", str(m.string))]
    assert rude == []
