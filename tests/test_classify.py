"""Tests for the rule-based classifier: accuracy, calibration, signals, rules files."""

import csv
import dataclasses
import re
import tomllib
from collections import Counter
from importlib.resources import files
from pathlib import Path

import pytest

from outreach.classify.classifier import (
    REVIEW_THRESHOLD,
    Rules,
    classify,
    default_rules,
    load_rules,
)
from outreach.classify.orgtypes import GENERAL, ORG_TYPES
from outreach.errors import ContentError
from outreach.models import Classification, Contact

DEV_SET = Path(__file__).parent / "data" / "dev_labeled.csv"
HOLDOUT = Path(__file__).parents[1] / "bench" / "data_holdout"


def contact(email: str = "info@example.org", **fields: str) -> Contact:
    """A contact as ingest would build it from one row."""
    return Contact.from_row(2, {"email": email, **fields}, {})


def dev_set(path: Path = DEV_SET) -> list[tuple[Contact, tuple[str, ...]]]:
    """The labelled rows of a file (rows without an email skipped, as ingest does)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        (
            Contact.from_row(line, {k: v for k, v in row.items() if k != "expected"}, {}),
            tuple(row["expected"].split("|")),
        )
        for line, row in enumerate(rows, start=2)
        if row["email"]
    ]


def write_rules(tmp_path: Path, text: str) -> Path:
    """Write a user rules file."""
    path = tmp_path / "outreach-rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- the development set ------------------------------------------------------------------


def test_dev_set_accuracy() -> None:
    results = [(c, expected, classify(c)) for c, expected in dev_set()]
    misses = [
        f"row {c.row} {c.display_name}: {r.type} ({r.confidence}) not in {expected}"
        for c, expected, r in results
        if r.type not in expected
    ]
    accuracy = 1 - len(misses) / len(results)
    assert accuracy >= 0.92, "\n".join(misses)


def test_dev_set_calibration() -> None:
    results = [(expected, classify(c)) for c, expected in dev_set()]
    answered = [(expected, r) for expected, r in results if r.type != GENERAL]
    right = sum(r.type in expected for expected, r in answered)
    assert right / len(answered) >= 0.95, "confident answers must be right"
    assert (len(results) - len(answered)) / len(results) <= 0.10, "too many rows left general"


def test_holdout_floor() -> None:
    # Real organisations never used to write the rules (tune.csv + check.csv) and invented ones
    # (extra.csv); when this test was written the rules reached 89 % accuracy, 98 % precision.
    results = [
        (c, expected, classify(c))
        for name in ("tune.csv", "check.csv", "extra.csv")
        for c, expected in dev_set(HOLDOUT / name)
    ]
    misses = [
        f"{c.display_name}: {r.type} ({r.confidence}) not in {expected}"
        for c, expected, r in results
        if r.type not in expected
    ]
    answered = [(expected, r) for _, expected, r in results if r.type != GENERAL]
    assert len(results) >= 170
    assert 1 - len(misses) / len(results) >= 0.86, "\n".join(misses)
    right = sum(r.type in expected for expected, r in answered)
    assert right / len(answered) >= 0.95, "\n".join(misses)


def test_dev_set_covers_every_type() -> None:
    predicted = Counter(classify(c).type for c, _ in dev_set())
    assert set(ORG_TYPES) <= set(predicted)


def test_confidence_and_review_flag_agree() -> None:
    for c, _ in dev_set():
        result = classify(c)
        assert 0.0 <= result.confidence <= 1.0
        assert result.needs_review == (result.type == GENERAL)
        assert result.type == GENERAL or result.confidence >= REVIEW_THRESHOLD
        assert result.evidence and all(isinstance(e, str) and e for e in result.evidence)


def test_shipped_rules_name_no_development_organisation() -> None:
    # The dev set measures how well the rules generalise; rules naming its rows would hide that.
    data = tomllib.loads((files("outreach") / "data" / "classifier_rules.toml").read_text("utf-8"))
    data.pop("weights")
    entries = " | ".join(
        str(value).lower()
        for table in data.values()
        for groups in table.values()
        for group in groups
        for value in (group.values() if isinstance(group, dict) else [group])
    )
    for name in (
        "agora", "chatham", "ceps", "ebert", "automobil", "software alliance", "handwerk",
        "open markets", "leverhulme", "helmholtz", "far.ai", "hasso", "plattner", "bvdds",
        "statistical", "hochschulverband", "engineers without", "humane", "foodwatch",
        "justice league", "verge", "br24", "financial times", "stanford", "imperial",
        "hartmann", "whitfield", "kiverstehen", "sciencewithsam", "zukunftsfunk",
        "techthreads", "greenpeace", "unoda", "isoc", "internet society", "msf", "ärzte",
        # the holdout (bench/data_holdout), which measures generalisation the same way
        "bertelsmann", "brookings", "bitkom", "techuk", "ibec", "tübingen", "turing", "marburger",
        "oireachtas", "guardian", "wwf", "algorithmwatch", "economiesuisse", "netchoice",
        "lobbycontrol", "epicenter", "ippr", "aaai", "planck", "agenda austria", "avenir",
        "govai", "lovelace", "bruegel", "dfki", "weizenbaum", "redwood", "digitalcourage",
        "campact", "süddeutsche", "netzpolitik", "heise", "reuters", "politico", "bakom",
        "amnesty", "roten kreuz", "access now", "killer robots", "digitaleurope", "open rights",
        "future of life", "irish times", "technology review", "greater london",
    ):  # fmt: skip
        assert name not in entries, name


# --- signals, in German and English --------------------------------------------------------

# expected type; organisation; contact_name; email; website; description
SIGNALS = """
media;Lokalanzeiger Musterstadt;;redaktion@lokalanzeiger.example;;Lokale Wochenzeitung.
media;Musterstädter Nachrichten;Redaktion Politik;politik@msn.example;;
media;The Exampleton Herald;;desk@herald.example;;Regional daily newspaper and news website.
media;Radio Nordwelle;;studio@nordwelle.example;;Regionaler Radiosender mit Nachrichten.
academic;;Prof. Dr. Eva Klein;eva.klein@uni-musterstadt.de;;
academic;University of Exampleton;Dr. Priya Shah;p.shah@exampleton.ac.uk;;Lecturer in ML.
academic;;Juniorprofessorin Dr. Sara Lind;lind@fh-muster.de;;
academic;TU Musterstadt;Dr. Paul Weber;paul.weber@tu-musterstadt.de;;Postdoc am Lehrstuhl.
policymaker;Deutscher Bundestag;Jan Berg MdB;jan.berg@bundestag.de;;
policymaker;;Ms Clara Dubois MEP;clara.dubois@europarl.europa.eu;;
policymaker;Bundesministerium für Digitales;Referat KI;ref-ki@bmdv.bund.de;;
policymaker;Department for Science;Office of the Minister;minister@dsit.gov.uk;;
policymaker;Landtag Musterland;Anna Vogel, MdL;anna.vogel@landtag.musterland.de;;
policymaker;Bundeskanzleramt Österreich;;office@bka.gv.at;;
think_tank;Zukunft Digital;;info@zukunftdigital.example;;Unabhängige Denkfabrik.
think_tank;Institute for Tech Policy;;info@example.org;;Nonpartisan policy institute.
think_tank;Beispiel-Stiftung;;info@example.org;;Parteinahe politische Stiftung.
lobby_group;Verband der Musterindustrie;;info@vdm.example;;Vertritt die Interessen der Branche.
lobby_group;Digital Industry Association;;info@example.org;;Trade association of tech firms.
research_group;Forschungsgruppe Sichere KI;;info@example.org;;Forschung zu robuster KI.
research_group;Alignment Research Lab;;info@example.org;;Research lab working on alignment.
research_group;Institute for AI Safety;;c@eias.exampleton.ac.uk;;Interdisciplinary research centre.
professional_network;Gesellschaft für Musterinformatik;;info@example.org;;Fachgesellschaft.
professional_network;Association of Data Professionals;;info@example.org;;Professional body.
professional_network;Bundesverband Muster-Datenschutz;;info@example.org;;Berufsverband.
advocacy_org;KI-Risiken Musterstadt e.V.;;info@example.org;;Ehrenamtlich, mit Kampagnen.
advocacy_org;Safe Tech Now;;team@safetechnow.example;;Grassroots advocacy group.
public_intellectual;;Dr. Jonas Feld;post@jonasfeld.example;;Publizist und Kolumnist.
public_intellectual;;Amelia Stone;amelia@ameliastone.example;;Author and keynote speaker.
public_intellectual;;Prof. Dr. Karl Brandt;kb@karlbrandt.example;;Bestsellerautor, Talkshowgast.
influencer;KI mit Kim;Kim Schulz;kim@kimitkim.example;https://www.youtube.com/@kimitkim;
influencer;;Leo Park;leo@leopark.example;tiktok.com/@leopark;Tech creator, 1.2M followers.
influencer;;Lisa Sommerfeld;lisa@example.org;;Instagram-Kanal mit 80.000 Abonnenten.
international_ngo;Weltbund für Musterrechte;;info@example.org;;Sektionen in über 60 Ländern.
international_ngo;Council of Europe;;contact@coe.int;;
international_ngo;UN Example Agency;;info@example.un.org;;
international_ngo;Humanitarian Relief Example;;info@example.org;;Active in over 30 countries.
professional_network;Verein Deutscher Musteringenieure;;info@vdmi.example;;
professional_network;Musterstädter Ärzteverband;;info@aev.example;;Ärzteverband
professional_network;Exampleton Union of Journalists;;info@euj.example;;
professional_network;Society of Example Data Scientists;;info@sedsci.example;;
professional_network;Tech Workers Union Example;;info@twu.example;;Trade union for tech workers.
professional_network;Beispiel-IT-Gewerkschaft;;info@bitg.example;;
policymaker;Musterländische Regulierungsbehörde;;info@mrb.example;;
policymaker;Beispiel-Agentur;;post@bsa.example;;Regulierungsbehörde für Netze.
policymaker;Landesamt für Musterdaten;;poststelle@lfm.example;;
policymaker;Senatsverwaltung für Digitales Musterstadt;;post@sen.example;;
policymaker;Exampleland Communications Regulator;;info@ecr.example;;Independent regulator.
advocacy_org;Musterrechte Watch;;info@mrw.example;;
advocacy_org;Digitale Bürgerrechte Muster e.V.;;info@dbm.example;;
advocacy_org;Example Privacy Campaign;;info@epc.example;;Digital rights nonprofit.
advocacy_org;Muster-Netz e.V.;;info@mn.example;;Verein, der sich für offene Netze einsetzt.
international_ngo;Example Rights – Deutsche Sektion;;info@erd.example;;
international_ngo;Muster Hilfe e.V.;;info@mh.example;;Entwicklungszusammenarbeit, humanitäre Hilfe.
international_ngo;Rights Example International;;info@rei.example;;Human rights organisation.
think_tank;Muster-Stiftung;;info@ms.example;;Stiftung für politische Studien und Analysen.
think_tank;Exampleton Institute for Public Policy;;info@eipp.example;;
think_tank;Musterinstitut für Wirtschaftsforschung;;info@mifw.example;;
lobby_group;Beispiel Wirtschaftsverband;;info@bwv.example;;
lobby_group;Example Software Council;;info@esc.example;;Industry body representing software firms.
lobby_group;Industrie- und Handelskammer Musterstadt;;info@ihk.example;;
lobby_group;Digitalverband Muster e.V.;;info@dvm.example;;Branchenverband der Digitalwirtschaft.
media;Muster Nachrichtenagentur;;info@mna.example;;
media;Beispiel Verlag GmbH;;info@bv.example;;Verlag für Regionalzeitungen.
media;The Exampleton Chronicle;;newsdesk@chronicle.example;;
media;Exampleton Local Radio;Politics desk;politics@elr.example;;Regional broadcaster.
influencer;;Mara Beispiel;mara@example.org;;Twitch-Streamerin mit 20.000 Followern.
influencer;;Ben Carter;ben@example.org;;Writes a weekly newsletter about AI.
research_group;Example Centre for Robust AI;;info@cra.exampleton.ac.uk;;
research_group;Zentrum für Muster-KI;;info@zmk.uni-musterstadt.de;;Kompetenzzentrum.
"""
COLUMNS = ("organisation", "contact_name", "email", "website", "description")


@pytest.mark.parametrize("line", SIGNALS.strip().splitlines(), ids=lambda line: line[:50])
def test_signals(line: str) -> None:
    expected, *values = line.split(";")
    result = classify(contact(**dict(zip(COLUMNS, values, strict=True))))
    assert (result.type, result.needs_review) == (expected, False), result.evidence
    assert result.source == "classifier"


def test_evidence_names_field_words_and_type() -> None:
    result = classify(
        contact(
            "jan.berg@bundestag.de",
            organisation="Lokalanzeiger",
            contact_name="Jan Berg MdB",
            description="Mitglied des Bundestages.",
        )
    )
    assert result.type == "policymaker"
    assert "domain bundestag.de → policymaker" in result.evidence
    assert "contact: 'MdB' → policymaker" in result.evidence
    assert "name: 'Lokalanzeiger' → media" in result.evidence


def test_compounds_show_whole_word_and_longest_term_wins() -> None:
    result = classify(contact(organisation="Muster", description="Überregionale Tageszeitung."))
    assert "description: 'Tageszeitung' → media" in result.evidence
    result = classify(
        contact(organisation="Bundesverband Musterberufe", description="Berufsverband.")
    )
    assert result.type == "professional_network"
    assert "description: 'Berufsverband' → lobby_group" not in result.evidence


def test_website_path_and_platform() -> None:
    profile = contact(
        contact_name="Ida Beispiel", website="https://www.linkedin.com/in/ida-beispiel/"
    )
    assert "website linkedin.com/in/ida-beispiel → influencer" in classify(profile).evidence
    company = contact(organisation="Muster AG", website="https://www.linkedin.com/company/muster")
    assert classify(company).type == GENERAL


def test_own_website_with_umlauts() -> None:
    result = classify(contact("j@juergenmueller.example", contact_name="Jürgen Müller"))
    assert "own website juergenmueller.example, no organisation → public_intellectual" in (
        result.evidence
    )


def test_conflicts_resolve_sensibly() -> None:
    doctor_mp = contact(
        "h.roth@bundestag.de", contact_name="Dr. Helena Roth MdB", description="Autorin."
    )
    assert classify(doctor_mp).type == "policymaker"
    professor = contact(
        "sand@uni-beispiel.de", contact_name="Prof. Dr. Uwe Sand", description="Autor."
    )
    assert classify(professor).type == "academic"
    industry = contact(organisation="Verband der Musterbranche", description="Interessenverband.")
    assert classify(industry).type == "lobby_group"


def test_one_strong_signal_beside_a_weak_rival_passes() -> None:
    # "Branchenverband" alone in a description, next to the weak "e.V." of the name.
    trade = contact(organisation="Muster e.V.", description="Branchenverband der Musterbranche.")
    assert (classify(trade).type, classify(trade).needs_review) == ("lobby_group", False)
    conflict = contact(organisation="Muster", description="Think tank and trade association.")
    assert classify(conflict).type == GENERAL


def test_university_domain_depends_on_person_or_unit() -> None:
    person = contact("lea.kern@uni-musterstadt.de", contact_name="Dr. Lea Kern")
    assert classify(person).type == "academic"
    unit = contact("info@ims.uni-musterstadt.de", organisation="Institut für Mustersysteme")
    result = classify(unit)
    assert result.type == "research_group"
    assert "domain ims.uni-musterstadt.de → research_group" in result.evidence
    university = contact("info@uni-musterstadt.de", organisation="Universität Musterstadt")
    assert classify(university).type == "academic"


def test_verein_alone_is_weak() -> None:
    club = contact(organisation="Sportverein Blau-Weiß Musterstadt e.V.", description="Fußball.")
    assert classify(club).type == GENERAL


def test_no_signal_is_general_and_flagged() -> None:
    result = classify(contact(organisation="Muster GmbH", description="Softwarefirma."))
    assert result == Classification(
        type=GENERAL, confidence=0.0, evidence=("no signals found",), needs_review=True
    )


@pytest.mark.parametrize(
    ("organisation", "description"),
    [
        ("Hotel Lindenhof", "Hotel mit Lobby-Bar und Konferenzräumen."),
        ("Muster Software GmbH", "Softwareentwicklung für die Automobilindustrie."),
        ("Musterbank AG", "Weltweit tätige Bank mit Sitz in Frankfurt."),
        ("Acme Analytics Ltd", "We help companies build data products for global markets."),
        ("TechStart Accelerator", "Startup accelerator with a network of mentors."),
        ("Acme International GmbH", "Maschinenbau und Anlagen."),
        ("Shopfront Ltd", "We help businesses in the retail sector sell online."),
        ("Data Center Services GmbH", "Rechenzentrum und Hosting."),
        ("Patient Portal Inc", "Software for patient scheduling."),
    ],
)
def test_ordinary_businesses_stay_general(organisation: str, description: str) -> None:
    result = classify(contact(organisation=organisation, description=description))
    assert result.type == GENERAL, result.evidence


def test_weak_signal_stays_general_with_best_guess() -> None:
    result = classify(
        contact(organisation="Muster GmbH", description="Software für globale Kunden.")
    )
    assert (result.type, result.needs_review) == (GENERAL, True)
    assert result.confidence < REVIEW_THRESHOLD
    assert result.evidence[-1].startswith("best guess international_ngo (")
    assert result.evidence[-1].endswith("), below threshold")


# --- the type column ----------------------------------------------------------------------


def test_type_column_wins() -> None:
    result = classify(
        contact(organisation="Denkfabrik X", description="Think tank.", type="Medien")
    )
    assert result == Classification(
        type="media", confidence=1.0, evidence=("type column",), needs_review=False, source="column"
    )


def test_type_column_general_needs_review() -> None:
    result = classify(contact(organisation="Muster", type="general"))
    assert (result.type, result.needs_review, result.source) == (GENERAL, True, "column")


# --- rules files --------------------------------------------------------------------------


def test_user_rules_add_terms_and_domains(tmp_path: Path) -> None:
    rules = load_rules(
        write_rules(
            tmp_path,
            '[media]\nterms = ["Wochenblatt", { term = "*blättle", in = ["name"], weight = 3 }]\n'
            'domains = ["lokalzeitung.example"]\n',
        )
    )
    weekly = contact(organisation="Musterstädter Wochenblatt")
    assert classify(weekly).type == GENERAL
    assert classify(weekly, rules).type == "media"
    assert "name: 'Wochenblatt' → media" in classify(weekly, rules).evidence
    assert classify(contact(organisation="Gemeindeblättle"), rules).type == "media"
    by_domain = contact("info@lokalzeitung.example", organisation="Muster")
    assert classify(by_domain, rules).evidence[0] == "domain lokalzeitung.example → media"


def test_wildcards_decide_per_term(tmp_path: Path) -> None:
    rules = load_rules(
        write_rules(
            tmp_path,
            '[media]\nterms = ["blatt", "feder*"]\n[advocacy_org]\nterms = ["*blatt", "feder"]\n',
        )
    )

    def types(name: str) -> set[str]:
        evidence = classify(contact(organisation=name), rules).evidence
        return {line.rpartition(" → ")[2] for line in evidence if line.startswith("name:")}

    assert types("Wochenblatt") == {"advocacy_org"}
    assert types("Das Blatt") == {"media", "advocacy_org"}
    assert types("Federkiel") == {"media"}
    assert types("Feder") == {"media", "advocacy_org"}


def test_user_rules_keep_shipped_rules(tmp_path: Path) -> None:
    rules = load_rules(
        write_rules(tmp_path, '[academic]\ndomains = ["hochschule-muster.example"]\n')
    )
    for c, _ in dev_set():
        assert classify(c, rules).type == classify(c).type


BAD_RULES = [
    ('[medien]\nterms = ["x"]\n', "[medien]: unknown type"),
    ("[media]\nterms = [42]\n", "[media] terms[0]: term must be a string, got 42"),
    ('[media]\nterms = ["ok", ["nested"]]\n', "[media] terms[1]: term must be a string"),
    (
        '[media]\nterms = [{ term = "x1", weight = -1 }]\n',
        "[media] terms[0]: weight must be above 0",
    ),
    ('[media]\nterms = [{ term = "x1", weight = "high" }]\n', "weight must be a number"),
    ('[media]\nterms = [{ term = "x1", weight = true }]\n', "weight must be a number"),
    ('[media]\nterms = [{ term = "x1", weight = 11 }]\n', "at most 10"),
    ('[media]\nterms = [{ term = "x1", in = ["website"] }]\n', "unknown field 'website'"),
    ('[media]\nterms = [{ term = "x1", colour = "red" }]\n', "unknown key 'colour'"),
    ("[media]\nterms = [{ weight = 2 }]\n", "give exactly one of term, terms, regex"),
    ('[media]\nterms = [{ regex = "(unclosed" }]\n', "regex '(unclosed' is not valid"),
    ('[media]\nterms = [{ regex = "x?" }]\n', "matches empty text"),
    ('[media]\nterms = ["wo*chen"]\n', "'*' only at its ends"),
    ('[media]\nterms = ["*"]\n', "needs two letters"),
    ('[media]\ndomains = ["not a domain"]\n', "[media] domains[0]: 'not a domain' is not a domain"),
    ('[media]\nterms = "Wochenblatt"\n', "[media] terms: must be a list"),
    ('[media]\nwords = ["x"]\n', "[media] words: unknown key"),
    ("[weights]\nterm = 3\n", "[weights]: unknown type"),
    ("[media\n", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "message"), BAD_RULES)
def test_bad_rules_file_is_one_line_content_error(tmp_path: Path, text: str, message: str) -> None:
    path = write_rules(tmp_path, text)
    with pytest.raises(ContentError) as caught:
        load_rules(path)
    error = str(caught.value)
    assert error.startswith(f"{path}: ") and message in error
    assert "\n" not in error


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="cannot read rules file"):
        load_rules(tmp_path / "absent.toml")


# --- compiled rules -----------------------------------------------------------------------


def test_default_rules_are_built_once_and_immutable() -> None:
    rules = default_rules()
    assert rules is default_rules()
    assert isinstance(rules, Rules)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.own_website = 0.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        rules.fields["name"] = rules.fields["contact"]  # type: ignore[index]


def test_classify_uses_only_the_patterns_compiled_with_the_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every module-level function of `re` compiles (or looks up) a pattern from its text; the
    # classifier must only use the patterns its rules compiled once.
    rules = load_rules()
    contacts = [c for c, _ in dev_set()]

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a regex was compiled or looked up while classifying")

    for name in ("compile", "search", "match", "fullmatch", "sub", "subn", "split", "findall",
                 "finditer"):  # fmt: skip
        monkeypatch.setattr(re, name, refuse)
    for c in contacts:
        classify(c, rules)


@pytest.mark.parametrize("regex", ["(quux|quuz)funk", "(?i)QUUXFUNK", "(?:x|)quuxfunk"])
def test_user_regex_terms_match(tmp_path: Path, regex: str) -> None:
    rules = load_rules(
        write_rules(tmp_path, f"[media]\nterms = [{{ regex = '{regex}', weight = 4 }}]\n")
    )
    assert classify(contact(organisation="Musterstädter Quuxfunk"), rules).type == "media"
    assert classify(contact(organisation="Musterstädter Quuxfest"), rules).type == GENERAL
