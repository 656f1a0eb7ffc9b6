"""Tests for the email content files and their loader."""

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from outreach.classify.orgtypes import GENERAL, ORG_TYPES, TYPE_LABELS
from outreach.compose.content import Content, load_content, placeholders, templates_dir
from outreach.errors import ContentError

LANGUAGES = ("de", "en")
ALL_TYPES = (*ORG_TYPES, GENERAL)
SEED = templates_dir() / "partnerships-de.md"
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
# The seed's wording that an editor marked as wrong or stilted; no email may carry it.
MISTRANSLATIONS = [
    "Datenverarbeitung", "Engagierte Inhaltsideen", "Einbindung von Lobbygruppen in Gesetzgeber",
    "Nachrichtengenerierung", "informieren politische Empfehlungen", "Politische Auswirkungen",
    "Vorstellung von Ideen an", "Iteration und Verbesserung von Politiken",
    "Politische Verfeinerung", "Öffentlichkeitswirksame Plattform",
    "Bereitstellung einer öffentlichkeitswirksamen Plattform",
]  # fmt: skip
TAUTOLOGIES = ["Insights into public opinion", "Introducing ideas to new audiences"]
# Nouns a brochure opens with ("Bereitstellung von …"); a letter says who does what.
_NOMINAL_OPENING = re.compile(r"^\w+(ung|ion|ität)\b|^Testen\b")


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


def recipient_texts(content: Content, type_key: str | None = None) -> list[str]:
    """Every text a recipient may read (of one type, with the shared texts), in one list."""
    texts = [*content.pauseai.about, content.pauseai.more]
    texts += [*content.email.model_dump().values(), *(usp.text for usp in content.selling_points)]
    for key, block in content.types.items():
        if type_key not in (None, key):
            continue
        texts += [block.subject, block.opening, block.proposal]
        texts += [t for t in (block.subject_person, block.opening_person, block.team_greeting) if t]
        texts += [offer.text for offer in block.offers]
    return texts


@pytest.fixture(scope="module")
def seed() -> dict[str, list[dict[str, Any]]]:
    """The parsed German partnership page, kept beside the content as its reference."""
    return _parse_seed()


@pytest.fixture(autouse=True)
def _no_templates_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests use the checkout's templates unless they set OUTREACH_TEMPLATES themselves."""
    monkeypatch.delenv("OUTREACH_TEMPLATES", raising=False)


def test_seed_parses_completely(seed: dict[str, list[dict[str, Any]]]) -> None:
    assert len(seed[SELLING_POINTS_HEADING]) == 5
    assert set(SEED_HEADINGS.values()) <= set(seed)
    assert all(seed[heading] for heading in SEED_HEADINGS.values())


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_type_has_a_block(language: str) -> None:
    content = load_content(language)
    assert content.language == language
    assert set(content.types) == set(ALL_TYPES)
    for key in ALL_TYPES:
        block = content.block(key)
        assert block.subject and block.opening and block.proposal


def test_german_headings_are_the_seed_headings() -> None:
    content = load_content("de")
    assert {key: content.block(key).heading for key in ORG_TYPES} == SEED_HEADINGS


def test_every_selling_point_of_the_seed_has_its_key(
    seed: dict[str, list[dict[str, Any]]],
) -> None:
    points = load_content("de").selling_points
    assert [usp.seed for usp in points] == [item["title"] for item in seed[SELLING_POINTS_HEADING]]


@pytest.mark.parametrize("type_key", ORG_TYPES)
def test_every_offer_of_the_seed_maps_to_a_rewritten_key(
    seed: dict[str, list[dict[str, Any]]], type_key: str
) -> None:
    offers = load_content("de").block(type_key).offers
    assert [offer.seed for offer in offers] == [
        item["title"] for item in seed[SEED_HEADINGS[type_key]]
    ]
    assert all(offer.text != offer.seed for offer in offers)


def test_languages_share_keys_and_structure() -> None:
    de, en = load_content("de"), load_content("en")
    assert [p.key for p in de.selling_points] == [p.key for p in en.selling_points]
    for key in ALL_TYPES:
        de_block, en_block = de.block(key), en.block(key)
        assert [o.key for o in de_block.offers] == [o.key for o in en_block.offers], key
        assert de_block.highlight == en_block.highlight, key


@pytest.mark.parametrize("language", LANGUAGES)
def test_general_offers_only_selling_points(language: str) -> None:
    block = load_content(language).block(GENERAL)
    assert block.offers == []
    assert all(ref.startswith("usp:") for ref in block.highlight)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("type_key", ALL_TYPES)
def test_two_or_three_different_offers_each_a_sentence(language: str, type_key: str) -> None:
    offers = load_content(language).highlights(type_key)
    assert 2 <= len(offers) <= 3 and len(set(offers)) == len(offers)
    assert all(text[:1].isupper() and text.endswith(".") for text in offers)


@pytest.mark.parametrize("language", LANGUAGES)
def test_offers_fit_the_partner(language: str) -> None:
    content = load_content(language)
    # A lobby group has its own access to parliament; protests do not help it either.
    lobby = content.block("lobby_group").highlight
    assert "usp:protest_experience" not in lobby and "usp:grassroots_lobbying" not in lobby
    # A research lab has no use for survey volunteers.
    assert "data_collection" not in content.block("research_group").highlight
    # Newsrooms decline partnerships: they are offered a source.
    media = " ".join(recipient_texts(content, "media")).casefold()
    assert not re.search(r"partnerschaft|partnership|\bpartner\b", media)
    assert ("ansprechpartner" if language == "de" else "source") in media
    # Nobody makes an influencer's content accurate for them.
    influencer = " ".join(content.highlights("influencer")).casefold()
    assert not re.search(r"genauigkeit|sicherstell|accura|ensure", influencer)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("type_key", ORG_TYPES)
def test_no_email_names_the_category_it_was_put_in(language: str, type_key: str) -> None:
    block = load_content(language).block(type_key)
    texts = " ".join([block.subject, block.opening, block.opening_person or "", block.proposal])
    labels = [SEED_HEADINGS[type_key], *TYPE_LABELS[type_key]]
    for label in labels:
        assert label.casefold() not in texts.casefold(), (type_key, label)


def test_german_content_has_none_of_the_seed_mistranslations() -> None:
    texts = recipient_texts(load_content("de"))
    for phrase in MISTRANSLATIONS:
        assert not any(phrase.casefold() in text.casefold() for text in texts), phrase


def test_german_offers_are_written_in_verbs_not_nouns() -> None:
    content = load_content("de")
    texts = [usp.text for usp in content.selling_points]
    texts += [offer.text for block in content.types.values() for offer in block.offers]
    assert [text for text in texts if _NOMINAL_OPENING.match(text)] == []


def test_english_content_has_no_tautologies_and_british_spelling() -> None:
    joined = " ".join(recipient_texts(load_content("en")))
    assert not any(phrase.casefold() in joined.casefold() for phrase in TAUTOLOGIES)
    assert not re.search(r"organiz|mobiliz|program\b|programs\b|\bcenter|behavior", joined)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_email_asks_for_a_pause_and_proposes_a_call_with_a_time_frame(
    language: str,
) -> None:
    content = load_content(language)
    about = " ".join(content.pauseai.about)
    assert ("pausiert" if language == "de" else "pause") in about
    assert content.pauseai.website == "https://pauseai.info"
    for key in ALL_TYPES:
        proposal = content.block(key).proposal
        assert "20" in proposal, key
        assert ("zwei Wochen" if language == "de" else "two weeks") in proposal, key


@pytest.mark.parametrize("language", LANGUAGES)
def test_subjects_are_short_specific_and_plain(language: str) -> None:
    content = load_content(language)
    person_subjects = []
    for block in content.types.values():
        for subject in filter(None, (block.subject, block.subject_person)):
            assert " – " not in subject and " - " not in subject, subject  # no chained dashes
            assert subject.count(":") <= 1 and len(subject.replace("{name}", "")) <= 70, subject
        person_subjects.append(block.subject_person or block.subject)
    # Persons are not all sent one bare subject: each kind of partner gets its own.
    assert len(set(person_subjects)) == len(person_subjects)
    assert not {"Zusammenarbeit mit PauseAI", "Partnering with PauseAI"} & set(person_subjects)


@pytest.mark.parametrize("language", LANGUAGES)
def test_openings_name_the_organisation_where_there_is_one(language: str) -> None:
    content = load_content(language)
    organisations = [
        "think_tank", "lobby_group", "research_group", "professional_network", "advocacy_org",
        "media", "international_ngo", GENERAL,
    ]  # fmt: skip
    for key in organisations:
        block = content.block(key)
        assert placeholders(block.opening), key
        assert block.opening_person and not placeholders(block.opening_person), key


@pytest.mark.parametrize("language", LANGUAGES)
def test_texts_are_ready_for_the_email(language: str) -> None:
    content = load_content(language)
    assert 1 <= len(content.pauseai.about) <= 2
    for text in recipient_texts(content):
        assert not re.search(r"[<>]|\s\s", text), text
        assert '"' not in text, f"use typographic quotation marks: {text}"


def test_german_texts_use_formal_address() -> None:
    for text in recipient_texts(load_content("de")):
        assert not re.search(r"\b(du|dich|dir|dein\w*|euch|euer\w*)\b", text, re.IGNORECASE), text


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
            'highlight = ["expert_connections", "news_stories"',
            'highlight = ["newz", "news_stories"',
            ["types.media.highlight: unknown key 'newz'", "news_stories"],
        ),
        (
            'highlight = ["complementary_tactics", "usp:public_engagement"',
            'highlight = ["complementary_tactics", "usp:publik"',
            ["unknown key 'usp:publik'", "usp:public_engagement"],
        ),
        (
            'text = "Wir teilen Umfragedaten dazu, wie die Bevölkerung über KI denkt."',
            'text = "  "',
            ["types.media.offers[public_opinion].text: must not be empty"],
        ),
        ('heading = "Medien"', 'heding = "Medien"', ["types.media.heding: unknown key (typo?)"]),
        (
            'highlight = ["expert_connections", "news_stories", "public_opinion"]',
            'highlight = ["expert_connections", "news_stories", "public_opinion", "fact_checking"]',
            ["types.media.highlight", "at most 3"],
        ),
        (
            'key = "fact_checking"\nseed = "Faktenprüfung"',
            'key = "news_stories"\nseed = "F"',
            ["types.media.offers: duplicate key 'news_stories'"],
        ),
        ("[pauseai]\n", "[pausai]\n", ["pauseai: missing", "pausai: unknown key"]),
        ("closing =", "# closing =", ["email.closing: missing"]),
        (
            'subject = "{name}: Hintergrund und Gesprächspartner zu KI-Risiken"',
            'subject = "{firma}: Hintergrund"',
            ["types.media.subject: unknown placeholder {firma}", "mit_name"],
        ),
        (
            'subject_person = "KI-Risiken: Hintergrund und Gesprächspartner für Ihre Recherche"\n',
            "",
            ["types.media: subject names the organisation, so subject_person is needed"],
        ),
        (
            'proposal = "Wenn Sie möchten, nehmen wir Sie',
            'proposal = "Liebe {name}, wenn Sie möchten, nehmen wir Sie',
            ["types.media.proposal: no placeholder is allowed here"],
        ),
        (
            'team_greeting = "Sehr geehrte Damen und Herren,"',
            'team_greeting = "Hallo {name,"',
            ["email.team_greeting: a brace without its pair"],
        ),
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
