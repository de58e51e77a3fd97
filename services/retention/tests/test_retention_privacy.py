"""The GDPR Art. 13/14 notice (Art. 28): four languages that say the same things."""

from __future__ import annotations

import re

import pytest

from guichet_retention.privacy import LANGUAGES, SECTION_IDS, notice
from guichet_retention.rights import RightsError


def text_of(section: dict[str, object]) -> str:
    paragraphs = section["paragraphs"]
    assert isinstance(paragraphs, list)
    return " ".join([str(section["title"]), *paragraphs])


def section(language: str, section_id: str) -> str:
    (found,) = [s for s in notice(language)["sections"] if s["id"] == section_id]
    return text_of(found)


def test_four_languages() -> None:
    assert LANGUAGES == ("fr", "nl", "de", "en")
    for language in LANGUAGES:
        assert notice(language)["language"] == language


def test_same_sections_and_paragraph_counts_in_every_language() -> None:
    shapes = {
        language: [(s["id"], len(s["paragraphs"])) for s in notice(language)["sections"]]
        for language in LANGUAGES
    }
    assert [section_id for section_id, _ in shapes["en"]] == list(SECTION_IDS)
    assert shapes["fr"] == shapes["nl"] == shapes["de"] == shapes["en"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_section_has_a_title_and_text(language: str) -> None:
    document = notice(language)
    assert document["title"] and document["introduction"]
    titles = [s["title"] for s in document["sections"]]
    assert len(set(titles)) == len(titles)
    for item in document["sections"]:
        assert item["title"].strip()
        assert item["paragraphs"] and all(p.strip() for p in item["paragraphs"])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_same_articles_are_cited_in_every_language(language: str) -> None:
    # The article numbers of each section match the English version's.
    def numbers(lang: str, section_id: str) -> list[str]:
        return sorted(re.findall(r"\d+", section(lang, section_id)))

    for section_id in SECTION_IDS:
        if section_id == "complaint":  # the postal code aside, addresses differ
            continue
        assert numbers(language, section_id) == numbers("en", section_id), section_id


@pytest.mark.parametrize("language", LANGUAGES)
def test_retention_states_the_article_27_periods(language: str) -> None:
    text = section(language, "retention")
    assert "27" in text
    assert re.search(r"\b10\b", text) and re.search(r"\b5\b", text)
    # never before one year after prescription and the end of appeals (Art. 27 §1, 3°)
    year = {"fr": "un an", "nl": "een jaar", "de": "eines Jahres", "en": "one year"}[language]
    assert year in text


SUPERVISOR = {
    "fr": "Autorité de protection des données",
    "nl": "Gegevensbeschermingsautoriteit",
    "de": "Datenschutzbehörde",
    "en": "Belgian Data Protection Authority",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_complaint_to_the_supervisory_authority(language: str) -> None:
    text = section(language, "complaint")
    assert SUPERVISOR[language] in text
    assert "77" in text  # GDPR Art. 77
    assert "contact@apd-gba.be" in text


CONTROLLERS = {
    "fr": ("Office des étrangers", "ONSS", "Communauté germanophone"),
    "nl": ("Dienst Vreemdelingenzaken", "RSZ", "Duitstalige Gemeenschap"),
    "de": ("Ausländeramt", "LSS", "Deutschsprachige Gemeinschaft"),
    "en": ("Immigration Office", "ONSS", "German-speaking Community"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_controllers_and_processor(language: str) -> None:
    text = section(language, "controllers")
    for name in CONTROLLERS[language]:
        assert name in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_rights_and_how_to_exercise_them(language: str) -> None:
    text = section(language, "rights")
    assert "15" in text and "21" in text and "29" in text
    assert "12" in text  # GDPR Art. 12(3): one month
    month = {"fr": "un mois", "nl": "een maand", "de": "eines Monats", "en": "one month"}
    assert month[language] in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_purposes_recipients_and_legal_basis_cite_the_agreement(language: str) -> None:
    assert "10" in section(language, "purposes")
    recipients = section(language, "recipients")
    for article in ("21", "23", "24", "25", "26"):
        assert article in recipients
    assert "6" in section(language, "legal_basis")


def test_notice_is_a_copy() -> None:
    document = notice("en")
    document["sections"].clear()
    assert notice("en")["sections"]


def test_unknown_language_is_refused() -> None:
    with pytest.raises(RightsError):
        notice("es")
