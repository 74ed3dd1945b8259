"""English glosses for the cue words of other languages: the English rules read them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lynkr.routing.features import extract_features
from lynkr.routing.glossary import GLOSSES, fold, gloss

from .helpers import ask, hand_scorer, value


def test_cue_words_of_other_languages_are_glossed_in_english() -> None:
    assert gloss("добавь флаг --dry-run в janitor/cli.py").split("\n") == ["add"]
    assert "write" in gloss("escríbeme tests con pytest para la función slugify")
    assert "production" in gloss("本番のユーザーデータを移行したい")
    assert "trade-offs" in gloss("monorepo o polyrepo? dateci pro e contro")
    assert "race condition" in gloss("상태가 가끔 꼬여요, 경쟁 상태 같아요")


def test_missing_accents_still_match() -> None:
    # people type "migracion" for "migración"
    assert gloss("hay que hacer la migracion en produccion") == gloss(
        "hay que hacer la migración en producción")


def test_a_stem_without_a_star_matches_whole_words_only() -> None:
    assert "why" in gloss("warum hängt das?")
    assert gloss("warumx") == ""


def test_english_requests_get_no_gloss() -> None:
    for text in ("implement the payment service and deploy it to production",
                 "why does the race condition in the auth middleware only show up sometimes?",
                 "add a --json flag, then explain how the cache works, it's a plan",
                 "them, course, impasse, errata, revise, version, coherence, parola"):
        assert gloss(text) == ""


@given(st.text(max_size=300))
def test_glossing_never_fails_and_only_answers_known_english_words(text: str) -> None:
    words = gloss(text)
    assert words == "" or set(words.split("\n")) <= set(GLOSSES)


def test_folding_strips_accents_and_keeps_other_scripts_whole() -> None:
    assert fold("Migración ÉTÉ") == "migracion ete"
    assert fold("프로덕션") == "프로덕션"  # Hangul syllables survive the round trip


def test_the_rules_read_the_glosses_of_a_foreign_request() -> None:
    request = ask("nel workspace di produzione devo cancellare i dati personali dei clienti")
    assert "production" in extract_features(request).task
    assert value(request, "domain_risk") > 0
    # the same request in English scores risk too
    assert value(ask("in production I must delete our customers' personal data"),
                 "domain_risk") > 0


def test_a_hard_question_in_another_language_is_not_routed_as_trivial() -> None:
    decision = hand_scorer().score(ask(
        "почему у нас дедлок? объясни, есть ли гонка между rebalance и requeue"))
    assert decision.tier in ("COMPLEX", "REASONING")
