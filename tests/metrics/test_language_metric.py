from core.metrics.language import Language, detect_languages
from tests.metrics.inspect_records import conversation, table_of

ENGLISH = "The committee will meet next Tuesday to discuss the annual budget proposal."
FRENCH = "Le comité se réunira mardi prochain pour discuter de la proposition de budget annuel."
GERMAN = "Der Ausschuss trifft sich nächsten Dienstag, um den Jahreshaushalt zu besprechen."


def test_detects_languages_of_real_sentences():
    codes, scores = detect_languages([ENGLISH, FRENCH, GERMAN, ""])
    assert codes == ["en", "fr", "de", ""]
    assert all(s > 0.5 for s in scores[:3]) and scores[3] == 0.0


def test_mismatch_needs_both_sides_reliable():
    out = Language().compute(table_of(conversation(ENGLISH, FRENCH),   # translation-like: mismatch
                                      conversation(ENGLISH, ENGLISH),  # same language
                                      conversation("Hola?", ENGLISH),  # prompt too short: unreliable
                                      conversation(ENGLISH, "")))      # no response
    assert out["prompt_language"][:2] == ["en", "en"]
    assert out["response_language"] == ["fr", "en", "en", ""]
    assert out["is_language_reliable"].tolist() == [True, True, False, False]
    assert out["is_language_mismatch"].tolist() == [True, False, False, False]


def test_min_chars_parameter_moves_the_reliability_cut():
    table = table_of(conversation("Bonjour, comment allez-vous ?", "Je vais très bien, merci beaucoup."))
    assert Language(min_chars=10).compute(table)["is_language_reliable"].tolist() == [True]
    assert Language(min_chars=200).compute(table)["is_language_reliable"].tolist() == [False]


def test_lingua_option_needs_known_languages_or_the_package():
    import pytest

    from core.errors import SieveConfigError

    with pytest.raises(SieveConfigError, match="lingua"):
        Language(short_text_detector="lingua", lingua_languages=["en", "xx"]).setup()


def test_lingua_makes_short_texts_reliable_when_installed():
    import pytest

    pytest.importorskip("lingua")
    table = table_of(conversation("Merci beaucoup !", "Danke schön, mein Freund."))  # the prompt is under 20 characters
    fasttext_only = Language().compute(table)
    assert fasttext_only["is_language_reliable"].tolist() == [False]
    out = Language(short_text_detector="lingua", lingua_languages=["en", "fr", "de", "es"]).compute(table)
    assert (out["prompt_language"], out["response_language"]) == (["fr"], ["de"])
    assert out["is_language_reliable"].tolist() == [True]
    assert out["is_language_mismatch"].tolist() == [True]
