"""Every user-facing string has a French translation with the same placeholders."""

import re
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _extracted_messages() -> dict[str, str]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        for text in message if isinstance(message, tuple) else (message,):
            if text:
                found.setdefault(text, f"{filename}:{lineno}")
    return found


def _french_catalog():
    with (ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale="fr")


def test_every_message_is_translated_into_french():
    catalog = _french_catalog()
    missing = []
    for text, where in _extracted_messages().items():
        message = catalog.get(text)
        if message is None:
            # Plural forms are stored under their singular id.
            message = next((m for m in catalog if isinstance(m.id, tuple) and text in m.id), None)
        translated = message.string if message is not None else None
        if isinstance(translated, tuple):
            translated = all(translated) and translated[0]
        if not translated or (message is not None and message.fuzzy):
            missing.append(f"{where}: {text!r}")
    assert not missing, "translate these (make i18n-extract):\n" + "\n".join(missing[:40])


def test_translations_keep_their_placeholders():
    wrong = []
    for message in _french_catalog():
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(" ".join(ids)))
        for string in strings:
            if set(PLACEHOLDER.findall(string)) - expected:
                wrong.append(f"{message.id!r} → {string!r}")
    assert not wrong, "\n".join(wrong)
