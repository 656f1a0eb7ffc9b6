"""Names in a letter: desk and platform labels removed, German articles, English 'the'."""

import pytest

from outreach.compose.content import templates_dir
from outreach.compose.names import english_the, german_phrase, name_forms, plain_name
from outreach.compose.render import Renderer
from outreach.models import Classification, Contact
from outreach.settings import Settings


@pytest.mark.parametrize(
    ("organisation", "plain"),
    [
        ("Daily Example – Technology desk", "Daily Example"),
        ("Daily Example - Technology Desk", "Daily Example"),
        ("Musterstädter Tageblatt | Redaktion Wissen", "Musterstädter Tageblatt"),
        ("Redaktion Politik – Musterstädter Tageblatt", "Musterstädter Tageblatt"),
        ("Algorithmic Notes (Substack)", "Algorithmic Notes"),
        ("Technik Kanal (YouTube)", "Technik Kanal"),
        ("KI erklärt [YouTube-Kanal]", "KI erklärt"),
        ("Twitch: KI-Talk", "KI-Talk"),
        ("Instagram: @kiwissen", "@kiwissen"),
        ("@futurewithmo (TikTok)", "@futurewithmo"),
        ("Zukunft Podcast – Spotify", "Zukunft Podcast"),
        # Not labels: kept as written.
        ("Bayerischer Rundfunk – BR24", "Bayerischer Rundfunk – BR24"),
        ("Mehr Demokratie - Landesverband Bayern", "Mehr Demokratie - Landesverband Bayern"),
        ("Policy Network (UK)", "Policy Network (UK)"),
        ("Institut für Wirtschaftsforschung (IfW)", "Institut für Wirtschaftsforschung (IfW)"),
        ("YouTube", "YouTube"),
        ("Redaktion", "Redaktion"),
    ],
)  # fmt: skip
def test_desk_and_platform_labels_leave_the_name(organisation: str, plain: str) -> None:
    assert plain_name(organisation) == plain


@pytest.mark.parametrize(
    ("name", "mit", "bei"),
    [
        ("Friedrich-Ebert-Stiftung", "mit der Friedrich-Ebert-Stiftung",
         "bei der Friedrich-Ebert-Stiftung"),
        ("Deutscher Bundestag", "mit dem Deutschen Bundestag", "beim Deutschen Bundestag"),
        ("Süddeutsche Zeitung", "mit der Süddeutschen Zeitung", "bei der Süddeutschen Zeitung"),
        ("Frankfurter Allgemeine Zeitung", "mit der Frankfurter Allgemeinen Zeitung",
         "bei der Frankfurter Allgemeinen Zeitung"),
        ("Leipziger Volkszeitung", "mit der Leipziger Volkszeitung",
         "bei der Leipziger Volkszeitung"),
        ("Bayerischer Rundfunk", "mit dem Bayerischen Rundfunk", "beim Bayerischen Rundfunk"),
        ("Das Progressive Zentrum", "mit dem Progressiven Zentrum", "beim Progressiven Zentrum"),
        ("Der Spiegel", "mit dem Spiegel", "beim Spiegel"),
        ("Verband der Automobilindustrie", "mit dem Verband der Automobilindustrie",
         "beim Verband der Automobilindustrie"),
        ("Bertelsmann Stiftung", "mit der Bertelsmann Stiftung", "bei der Bertelsmann Stiftung"),
        ("Stanford University", "mit der Stanford University", "bei der Stanford University"),
        ("Imperial College London", "mit dem Imperial College London",
         "beim Imperial College London"),
        ("Greenpeace", "mit Greenpeace", "bei Greenpeace"),
        ("AlgorithmWatch", "mit AlgorithmWatch", "bei AlgorithmWatch"),
        ("Agora Digitale Transformation", "mit Agora Digitale Transformation",
         "bei Agora Digitale Transformation"),
        ("Internationale Ärzte für Technikfolgen e.V.",
         "mit der Organisation Internationale Ärzte für Technikfolgen e.V.",
         "bei der Organisation Internationale Ärzte für Technikfolgen e.V."),
    ],
)  # fmt: skip
def test_german_names_take_their_article_and_case(name: str, mit: str, bei: str) -> None:
    assert german_phrase("mit", name) == mit
    assert german_phrase("bei", name) == bei


def test_german_contractions() -> None:
    forms = name_forms("Hasso-Plattner-Institut", "de")
    assert (forms["von_name"], forms["an_name"], forms["in_name"], forms["zu_name"]) == (
        "vom Hasso-Plattner-Institut", "am Hasso-Plattner-Institut", "im Hasso-Plattner-Institut",
        "zum Hasso-Plattner-Institut",
    )  # fmt: skip
    assert name_forms("Universität Wien", "de")["zu_name"] == "zur Universität Wien"


@pytest.mark.parametrize(
    ("name", "in_sentence"),
    [
        ("Internet Society", "the Internet Society"),
        ("Institute for Future Policy", "the Institute for Future Policy"),
        ("Open Markets Institute", "the Open Markets Institute"),
        ("University of Exampleton", "the University of Exampleton"),
        ("Worldwide Alliance for Digital Rights", "the Worldwide Alliance for Digital Rights"),
        ("Financial Times", "the Financial Times"),
        ("House of Commons", "the House of Commons"),
        ("Stanford University", "Stanford University"),
        ("Imperial College London", "Imperial College London"),
        ("Chatham House", "Chatham House"),
        ("Greenpeace International", "Greenpeace International"),
        ("The Weekly Circuit", "The Weekly Circuit"),
        ("FAR AI", "FAR AI"),
    ],
)
def test_english_names_take_the_where_english_does(name: str, in_sentence: str) -> None:
    assert english_the(name) == in_sentence


@pytest.mark.parametrize("language", ["de", "en"])
def test_subjects_and_greetings_carry_no_platform_or_desk_label(
    settings: Settings, language: str
) -> None:
    renderer = Renderer(templates_dir(), settings)
    for organisation, kind in [
        ("Technik Kanal (YouTube)", "influencer"), ("Daily Example – Technology desk", "media"),
        ("Twitch: KI-Talk", "influencer"), ("Algorithmic Notes (Substack)", "influencer"),
    ]:  # fmt: skip
        row = Contact(row=2, email="hallo@example.org", organisation=organisation)
        email = renderer.render(row, Classification(type=kind, confidence=0.9), language)
        for text in (email.subject, email.text.splitlines()[0], email.recipient_name):
            assert not any(label in text for label in ("YouTube", "desk", "Twitch", "Substack"))
            assert " – " not in text
