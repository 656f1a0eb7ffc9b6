"""Generate a realistic contacts CSV of N rows for benchmarks (fictional, .example domains)."""

import argparse
import csv
import random
from pathlib import Path

KINDS = [
    ("Tageblatt {city}", "Regionale Tageszeitung mit Wissenschaftsressort.", "Redaktion", "de"),
    ("{city} Courier", "Daily newspaper and news website covering {city}.", "Newsdesk", "en"),
    (
        "Institut für Zukunftspolitik {city}",
        "Unabhängiger Think Tank für Digitalpolitik.",
        "",
        "de",
    ),
    ("{city} Policy Institute", "Policy institute publishing research on technology.", "", "en"),
    (
        "Verband der Digitalwirtschaft {city}",
        "Interessenverband, der die Branche gegenüber der Politik vertritt.",
        "",
        "de",
    ),
    (
        "Forschungszentrum Sichere KI {city}",
        "Forschungsinstitut mit Arbeitsgruppen zu robuster KI.",
        "",
        "de",
    ),
    ("{city} AI Safety Lab", "Research lab working on technical AI safety evaluations.", "", "en"),
    (
        "Bürgerinitiative KI {city} e.V.",
        "Kleiner ehrenamtlicher Verein, der Kampagnen zu KI-Risiken organisiert.",
        "",
        "de",
    ),
    (
        "Universität {city}",
        "Professorin für Informatik, Schwerpunkt maschinelles Lernen.",
        "person",
        "de",
    ),
    (
        "University of {city}",
        "Professor of computer science researching interpretability.",
        "person",
        "en",
    ),
    ("Landtag {city}", "Mitglied des Landtags, Ausschuss für Digitales.", "person", "de"),
    (
        "{city} Tech Explained (YouTube)",
        "YouTube channel with 200,000 subscribers explaining AI.",
        "person",
        "en",
    ),
    ("Global Alliance {city}", "International NGO with chapters in 40 countries.", "", "en"),
]
CITIES = [
    "Köln",
    "München",
    "Düsseldorf",
    "Göttingen",
    "Würzburg",
    "Lübeck",
    "Bristol",
    "Leeds",
    "Graz",
    "Zürich",
]
GIVEN = ["Käthe", "Jürgen", "Anna", "Özlem", "Jan", "Helen", "Thomas", "Søren", "Maria", "Lukas"]
SURNAMES = [
    "Schäfer",
    "Müller",
    "Becker",
    "de Vries",
    "Porter",
    "Weiß",
    "Krüger",
    "Marsh",
    "Yılmaz",
    "Groß",
]
LONG = (
    " Die Organisation arbeitet seit vielen Jahren mit Partnern aus Wissenschaft, Politik und "
    "Zivilgesellschaft zusammen und veröffentlicht regelmäßig Beiträge zu Technikfolgen."
)


def rows(count: int, seed: int = 7):
    """Yield contact rows, half with a person, a third with a long description."""
    rng = random.Random(seed)
    for i in range(count):
        pattern, description, who, language = KINDS[i % len(KINDS)]
        city = CITIES[rng.randrange(len(CITIES))]
        organisation = pattern.format(city=city)
        person = who == "person" or (who == "" and rng.random() < 0.4)
        name = f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}" if person else who
        salutation = rng.choice(["Frau", "Herr", "Ms", "Mr", ""]) if person else ""
        title = rng.choice(["", "", "Dr.", "Prof. Dr."]) if person else ""
        text = description.format(city=city) + (LONG if rng.random() < 0.33 else "")
        yield {
            "organisation": organisation,
            "contact_name": name,
            "salutation": salutation,
            "title": title,
            "email": f"contact{i}@org{i}.example",
            "country": "DE" if language == "de" else "GB",
            "description": text,
            "note": "",
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("rows", type=int)
    parser.add_argument("output", type=Path)
    args = parser.parse_args()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8", newline="") as handle:
        writer = None
        for row in rows(args.rows):
            if writer is None:
                writer = csv.DictWriter(handle, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)


if __name__ == "__main__":
    main()
