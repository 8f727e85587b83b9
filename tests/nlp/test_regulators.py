"""Regulators named by office, seat or description (own test sentences)."""

from __future__ import annotations

import pytest
from support.topic import in_context


def regs(lang: str, text: str) -> set[str]:
    a = in_context(lang, text, published="2026-02-01", must_be_relevant=False)
    return {r.id for r in a.regulators}


@pytest.mark.parametrize(("lang", "text", "expected"), [
    # office titles resolve per country (explicit or the article's home country)
    ("en", "In Ireland, the Attorney General will review whether the law covers such images.",
     {"attorney-general-ie"}),
    ("en", "Irish officials said the minister for justice is drafting new rules.",
     {"irish-department-of-justice"}),
    ("nl", "In Frankrijk moet de senaat nog stemmen over het wetsvoorstel van de regering.",
     {"french-senate", "french-government"}),
    ("nl", "Het Italiaanse hogerhuis stemde dinsdag in met de nieuwe wet.", {"italian-senate"}),
    ("nl", "Het Franse lagerhuis keurde het wetsvoorstel goed.", {"french-national-assembly"}),
    ("nl", "Staatssecretaris Jansen wil in Nederland een verbod op uitkleedapps.",
     {"dutch-government"}),
    # US state bodies from the state named in the article
    ("en", "Lawmakers in Oregon passed the bill, and the state attorney general will enforce "
           "it once the governor signs it.",
     {"oregon-legislature", "oregon-attorney-general", "oregon-governor"}),
    ("en", "A coalition of 40 attorneys general wrote to the company on Monday.",
     {"us-state-attorneys-general"}),
    ("en", "A bipartisan coalition of 12 AGs sent a letter to the app makers.",
     {"us-state-attorneys-general"}),
    # courts named by their seat are named bodies
    ("nl", "De rechtbank in Utrecht veroordeelde de man tot een werkstraf.",
     {"utrecht-district-court"}),
    ("en", "He was jailed at Leeds Crown Court on Friday.", {"leeds-crown-court"}),
    # a descriptor in apposition names the body next to it, not the default one
    ("nl", "De Franse mediatoezichthouder CSA krijgt de macht om sites te blokkeren.",
     {"csa-fr"}),
])
def test_regulators_by_office(lang: str, text: str, expected: set[str]) -> None:
    assert regs(lang, text) == expected


@pytest.mark.parametrize(("lang", "text"), [
    # news agencies sharing an acronym with a body are no regulator
    ("en", "Reporting by AFP and Reuters. Source: AP"),
    ("nl", "Dat meldt persbureau AP."),
])
def test_news_agency_acronyms_are_not_regulators(lang: str, text: str) -> None:
    assert regs(lang, text) == set()
