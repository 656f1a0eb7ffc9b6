"""Tests for the email content files and their loader."""

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from outreach.classify.orgtypes import GENERAL, ORG_TYPES
from outreach.compose.content import Content, Item, load_content, templates_dir
from outreach.errors import ContentError

LANGUAGES = ("de", "en")
ALL_TYPES = (*ORG_TYPES, GENERAL)
SEED = Path(__file__).parent / "data" / "partnerships-de.md"
SELLING_POINTS_HEADING = "Einzigartige Verkaufspunkte von PauseAI"
# The stable type keys and their seed headings, as in the design document.
SEED_HEADINGS = {
    "think_tank": "Think Tanks",
    "lobby_group": "Lobbygruppen",
    "research_group": "Forschungsgruppen",
    "professional_network": "Netzwerke von Fachleuten",
    "advocacy_org": "Kleine Advocacy-Organisationen",
    "media": "Medien",
    "academic": "Akademiker und technische Experten",
    "public_intellectual": "Öffentliche Intellektuelle und Meinungsbildner",
    "policymaker": "Einflussreiche Entscheidungsträger und Politiker",
    "influencer": "Soziale Medien-Influencer und digitale Inhaltsentwickler",
    "international_ngo": "Internationale Organisationen und NGOs",
}
_BULLET = re.compile(r"^(?P<indent> *)(?:-|\d+\.) \*\*(?P<title>.+?):\*\* (?P<text>.+?)\s*$")


def _parse_seed() -> dict[str, list[dict[str, Any]]]:
    """The seed's bulleted entries per '## ' heading, with sub-bullets as details."""
    sections: dict[str, list[dict[str, Any]]] = {}
    current: list[dict[str, Any]] | None = None
    for line in SEED.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip(), [])
        elif (match := _BULLET.match(line)) and current is not None:
            entry = {"title": match["title"], "text": match["text"]}
            if match["indent"]:
                current[-1]["details"].append(entry)
            else:
                current.append({**entry, "details": []})
    return sections


def _as_seed(items: list[Any]) -> list[dict[str, Any]]:
    """Offers or selling points in the shape _parse_seed returns."""
    return [
        {
            "title": item.title,
            "text": item.text,
            "details": [{"title": d.title, "text": d.text} for d in item.details],
        }
        for item in items
    ]


def _all_texts(content: Content) -> list[str]:
    """Every text a recipient may read, in one list."""
    texts = [*content.about, *content.email.model_dump().values()]
    for item in [*content.selling_points, *(o for b in content.types.values() for o in b.offers)]:
        texts += [item.title, item.text, *(t for d in item.details for t in (d.title, d.text))]
    for block in content.types.values():
        texts += [block.heading, block.lead]
    return texts


@pytest.fixture(scope="module")
def seed() -> dict[str, list[dict[str, Any]]]:
    """The parsed copy of the German partnership page."""
    return _parse_seed()


@pytest.fixture(autouse=True)
def _no_templates_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests use the checkout's templates unless they set OUTREACH_TEMPLATES themselves."""
    monkeypatch.delenv("OUTREACH_TEMPLATES", raising=False)


def test_seed_copy_parses_completely(seed: dict[str, list[dict[str, Any]]]) -> None:
    assert len(seed[SELLING_POINTS_HEADING]) == 5
    assert set(SEED_HEADINGS.values()) <= set(seed)
    assert all(seed[heading] for heading in SEED_HEADINGS.values())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_type_has_a_block(language: str) -> None:
    content = load_content(language)
    assert content.language == language
    assert set(content.types) == set(ALL_TYPES)
    for key in ALL_TYPES:
        assert content.block(key).heading
        assert content.block(key).lead


def test_german_headings_are_the_seed_headings() -> None:
    content = load_content("de")
    assert {key: content.block(key).heading for key in ORG_TYPES} == SEED_HEADINGS


def test_german_selling_points_match_seed(seed: dict[str, list[dict[str, Any]]]) -> None:
    assert _as_seed(load_content("de").selling_points) == seed[SELLING_POINTS_HEADING]


@pytest.mark.parametrize("type_key", ORG_TYPES)
def test_german_offers_match_seed(seed: dict[str, list[dict[str, Any]]], type_key: str) -> None:
    block = load_content("de").block(type_key)
    assert _as_seed(block.offers) == seed[SEED_HEADINGS[type_key]]


@pytest.mark.parametrize("language", LANGUAGES)
def test_general_offers_only_selling_points(language: str) -> None:
    block = load_content(language).block(GENERAL)
    assert block.offers == []
    assert all(ref.startswith("usp:") for ref in block.highlight)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("type_key", ALL_TYPES)
def test_highlights_resolve_to_three_or_four_items(language: str, type_key: str) -> None:
    content = load_content(language)
    items = content.highlights(type_key)
    assert 3 <= len(items) <= 4
    assert all(isinstance(item, Item) and item.title and item.text for item in items)
    assert len({item.title for item in items}) == len(items)


def test_highlights_keep_order_and_mix_offers_with_selling_points() -> None:
    content = load_content("en")
    titles = [item.title for item in content.highlights("lobby_group")]
    assert titles[0] == "Complementary tactics"
    assert "Expertise in grassroots lobbying" in titles


def test_languages_share_keys_and_structure() -> None:
    de, en = load_content("de"), load_content("en")
    assert [p.key for p in de.selling_points] == [p.key for p in en.selling_points]
    for key in ALL_TYPES:
        de_block, en_block = de.block(key), en.block(key)
        assert [o.key for o in de_block.offers] == [o.key for o in en_block.offers], key
        assert [len(o.details) for o in de_block.offers] == [
            len(o.details) for o in en_block.offers
        ], key
        assert de_block.highlight == en_block.highlight, key


@pytest.mark.parametrize("language", LANGUAGES)
def test_texts_are_ready_for_the_email(language: str) -> None:
    content = load_content(language)
    assert len(content.about) == 2
    assert all(len(sentence) < 220 and sentence.endswith(".") for sentence in content.about)
    assert all(block.lead.endswith(":") for block in content.types.values())
    for text in _all_texts(content):
        assert not re.search(r"[{}<>]|\s\s", text), text
        assert '"' not in text, f"use typographic quotation marks: {text}"


def test_german_texts_use_formal_address() -> None:
    content = load_content("de")
    for text in [*content.about, *content.email.model_dump().values()]:
        assert not re.search(r"\b(du|dich|dir|dein\w*|euch|euer\w*)\b", text, re.IGNORECASE), text


def test_english_texts_use_british_spelling() -> None:
    joined = " ".join(_all_texts(load_content("en")))
    assert not re.search(r"organiz|mobiliz|program\b|programs\b|\bcenter", joined)


def test_block_of_unknown_type_raises() -> None:
    with pytest.raises(ContentError, match="no content for type 'nope' \\(de\\)"):
        load_content("de").block("nope")


# --- broken content files --------------------------------------------------------------------


@pytest.fixture
def german_copy(tmp_path: Path) -> Path:
    """A writable copy of the German content file in its own templates folder."""
    shutil.copy(templates_dir() / "content.de.toml", tmp_path / "content.de.toml")
    return tmp_path


def _edit(directory: Path, old: str, new: str) -> None:
    """Replace one exact passage of the German copy."""
    path = directory / "content.de.toml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _drop_type(directory: Path, key: str) -> None:
    """Remove the [types.<key>] table and its offers from the German copy."""
    path = directory / "content.de.toml"
    kept, dropping = [], False
    for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
        if line.startswith("["):
            dropping = line.strip() in (f"[types.{key}]", f"[[types.{key}.offers]]")
        if not dropping:
            kept.append(line)
    path.write_text("".join(kept), encoding="utf-8")


def _load_error(directory: Path, language: str = "de") -> str:
    """The one-line message of the ContentError that loading raises."""
    with pytest.raises(ContentError) as info:
        load_content(language, directory)
    message = str(info.value)
    assert "\n" not in message
    assert f"content.{language}.toml" in message
    return message


def test_the_unedited_copy_loads(german_copy: Path) -> None:
    assert load_content("de", german_copy).block("media").heading == "Medien"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('language = "de"', 'language = "de', ["invalid TOML", "line"]),
        (
            'highlight = ["news_stories", "expert_connections"',
            'highlight = ["newz", "expert_connections"',
            ["types.media.highlight: unknown key 'newz'", "news_stories"],
        ),
        (
            'highlight = ["complementary_tactics", "usp:protest_experience"',
            'highlight = ["complementary_tactics", "usp:protests"',
            ["unknown key 'usp:protests'", "usp:protest_experience"],
        ),
        (
            'text = "Weitergabe von Daten zur öffentlichen Meinung."',
            'text = "  "',
            ["types.media.offers[public_opinion].text: must not be empty"],
        ),
        ('heading = "Medien"', 'heding = "Medien"', ["types.media.heding: unknown key (typo?)"]),
        (
            'highlight = ["news_stories", "expert_connections", "public_opinion"]',
            'highlight = ["news_stories", "expert_connections", "public_opinion", '
            '"fact_checking", "news_stories"]',
            ["types.media.highlight", "at most 4"],
        ),
        (
            'key = "fact_checking"\ntitle = "Faktenprüfung"',
            'key = "news_stories"\ntitle = "F"',
            ["types.media.offers: duplicate key 'news_stories'"],
        ),
        ("[pauseai]\n", "[pausai]\n", ["[pauseai]"]),
        ("closing =", "# closing =", ["email.closing: missing"]),
    ],
)
def test_broken_content_is_reported(
    german_copy: Path, old: str, new: str, expected: list[str]
) -> None:
    _edit(german_copy, old, new)
    message = _load_error(german_copy)
    for part in expected:
        assert part in message


def test_missing_type_is_reported(german_copy: Path) -> None:
    _drop_type(german_copy, "media")
    assert "missing [types.media]" in _load_error(german_copy)


def test_unknown_type_key_is_reported(german_copy: Path) -> None:
    path = german_copy / "content.de.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("types.media", "types.medien"), encoding="utf-8"
    )
    message = _load_error(german_copy)
    assert "missing [types.media]" in message
    assert "unknown type key [types.medien] (expected one of: think_tank," in message


def test_language_mismatch_is_reported(german_copy: Path) -> None:
    (german_copy / "content.de.toml").rename(german_copy / "content.en.toml")
    assert "expected 'en'" in _load_error(german_copy, "en")


def test_missing_file_is_reported(tmp_path: Path) -> None:
    assert "not found" in _load_error(tmp_path, "fr")


def test_invalid_language_code_is_rejected() -> None:
    with pytest.raises(ContentError, match="invalid content language"):
        load_content("../de")


def test_an_edited_file_is_reloaded(german_copy: Path) -> None:
    first = load_content("de", german_copy)
    _edit(german_copy, 'closing = "Mit freundlichen Grüßen"', 'closing = "Viele Grüße"')
    path = german_copy / "content.de.toml"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    second = load_content("de", german_copy)
    assert (first.email.closing, second.email.closing) == ("Mit freundlichen Grüßen", "Viele Grüße")


# --- finding the templates folder ------------------------------------------------------------


def test_templates_dir_defaults_to_the_shipped_templates() -> None:
    assert (templates_dir() / "content.de.toml").is_file()
    assert (templates_dir() / "content.en.toml").is_file()


def test_templates_dir_prefers_explicit_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    explicit, from_env = tmp_path / "explicit", tmp_path / "env"
    explicit.mkdir()
    from_env.mkdir()
    monkeypatch.setenv("OUTREACH_TEMPLATES", str(from_env))
    assert templates_dir(explicit) == explicit
    assert templates_dir() == from_env


def test_templates_dir_rejects_a_missing_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ContentError, match="is not a folder"):
        templates_dir(tmp_path / "nope")
    monkeypatch.setenv("OUTREACH_TEMPLATES", str(tmp_path / "gone"))
    with pytest.raises(ContentError, match="OUTREACH_TEMPLATES"):
        templates_dir()
