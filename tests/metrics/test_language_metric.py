from core.metrics.language import NO_LANGUAGE, Language, detect_languages
from tests.metrics.inspect_records import conversation, table_of

ENGLISH = "The committee will meet next Tuesday to discuss the annual budget proposal."
FRENCH = "Le comité se réunira mardi prochain pour discuter de la proposition de budget annuel."
GERMAN = "Der Ausschuss trifft sich nächsten Dienstag, um den Jahreshaushalt zu besprechen."


def test_detects_languages_of_real_sentences():
    codes, scores = detect_languages([ENGLISH, FRENCH, GERMAN, ""])
    assert codes == ["en", "fr", "de", NO_LANGUAGE]
    assert all(s > 0.5 for s in scores[:3]) and scores[3] == 0.0


def test_mismatch_needs_both_sides_reliable():
    out = Language().compute(table_of(conversation(ENGLISH, FRENCH),   # translation-like: mismatch
                                      conversation(ENGLISH, ENGLISH),  # same language
                                      conversation("Hola?", ENGLISH),  # prompt too short: unreliable
                                      conversation(ENGLISH, "")))      # no response
    assert out["prompt_language"][:2] == ["en", "en"]
    assert out["response_language"] == ["fr", "en", "en", "unknown"]
    assert out["is_language_reliable"].tolist() == [True, True, False, False]
    assert out["is_language_mismatch"].tolist() == [True, False, False, False]


SUM_ANSWER = "Result: 12345678 + 98765 + 4321 + 56789 = 12505553 in total, exactly."


def test_numbers_and_code_are_not_read_as_a_language():
    price_question = "Which is better value: 12 cans for $9.60 or 20 cans for $15.00?"
    price_answer = ("Compare the price per unit:\n- $9.60 ÷ 12 = $0.8000 per can\n- $15.00 ÷ 20 = $0.7500 per can\n\n"
                    "The **second** option is cheaper per unit, by about 6%.")  # sample alp-0062: once read as Italian
    numbers_only = "| 2021 | 1,204.50 | 17.2% |\n| 2022 | 1,388.10 | 15.3% |\n| total: 2,592.60 |"
    out = Language().compute(table_of(conversation(price_question, price_answer),
                                      conversation(ENGLISH, numbers_only),
                                      conversation(ENGLISH, "```python\nprint(sum(range(10)))\n```"),
                                      conversation(ENGLISH, SUM_ANSWER)))
    assert out["response_language"][0] == "en"
    assert out["is_language_reliable"].tolist() == [True, False, False, False]
    assert out["response_language"][2] == NO_LANGUAGE == "unknown"  # only code: no prose to judge
    assert not out["is_language_mismatch"].any()
    # SUM_ANSWER has 23 characters in words (enough) but only 20 letters among 57 non-space characters.
    lenient = Language(min_letter_share=0.3).compute(table_of(conversation(ENGLISH, SUM_ANSWER)))
    assert lenient["response_language"] == ["en"] and lenient["is_language_reliable"].tolist() == [True]


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
