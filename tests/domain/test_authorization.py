"""Authorization and settlement category (DOMAIN.md §4–5, SCENARIOS.md)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.authorization import CardFacts, PointFacts, authorize
from domain.enums import AccessMode, CardKind, CardStatus, Category

ACME = 1  # main organization
JAN = 2  # suborganization of Acme (employee)
OTHER = 3  # an unrelated organization
SHELL = 9  # eMSP

OPEN, WL, ROAM, RW = (
    AccessMode.OPEN,
    AccessMode.WHITELISTING,
    AccessMode.ROAMING,
    AccessMode.ROAMING_WHITELISTING,
)
FREE, REIMB, ROAMING, REJ = Category.FREE, Category.REIMBURSED, Category.ROAMING, Category.REJECTED


def depot(mode: AccessMode, *whitelist: str) -> PointFacts:
    """A charger of Acme, the main organization."""
    return PointFacts(
        charging_point_id=10,
        organization_id=ACME,
        main_organization_id=ACME,
        organization_is_suborganization=False,
        access_mode=mode,
        whitelist=frozenset(whitelist),
    )


def home(mode: AccessMode, *whitelist: str) -> PointFacts:
    """Jan's charger at home: the same main organization, his suborganization."""
    return replace(depot(mode, *whitelist), charging_point_id=20, organization_id=JAN,
                   organization_is_suborganization=True)


def org_card(uid, org, status=CardStatus.ACTIVE, reimbursable_for=()) -> CardFacts:
    return CardFacts(
        uid=uid,
        kind=CardKind.ORGANIZATION,
        status=status,
        organization_id=org,
        reimbursable_for=frozenset(reimbursable_for),
    )


def public_card(uid="04A1B2C3", status=CardStatus.ACTIVE, emsp=SHELL, reimbursable_for=()):
    return CardFacts(
        uid=uid,
        kind=CardKind.PUBLIC,
        status=status,
        emsp_id=emsp,
        contract_id="NL-TNM-C00122045-K",
        reimbursable_for=frozenset(reimbursable_for),
    )


COMPANY_CARD = org_card("ACME-JAN-01", ACME)  # Acme's card held by Jan

# situation -> (the point in a given mode, the card as looked up, the presented uid):
# an organization card of the point's own organization (not whitelisted); a
# whitelisted card of an unrelated organization; Acme's company card at Jan's
# home charger; Jan's private card that Acme flagged reimbursable for him; a
# public (eMSP) token, plain and whitelisted; a blocked card and an expired
# public card (both whitelisted, so only their status can refuse them); an
# unknown tag.
SITUATIONS = {
    "same_org_card": (
        lambda m: depot(m),
        org_card("ACME-PIET-01", ACME),
        "ACME-PIET-01",
    ),
    "whitelisted_card": (
        lambda m: depot(m, "OTHER-01"),
        org_card("OTHER-01", OTHER),
        "OTHER-01",
    ),
    "company_card_at_home": (
        lambda m: home(m, "ACME-JAN-01"),
        COMPANY_CARD,
        "ACME-JAN-01",
    ),
    "flagged_card_at_home": (
        lambda m: home(m, "JAN-PRIVATE"),
        org_card("JAN-PRIVATE", JAN, reimbursable_for={JAN}),
        "JAN-PRIVATE",
    ),
    "public_card": (lambda m: depot(m), public_card(), "04A1B2C3"),
    "whitelisted_public_card": (lambda m: depot(m, "04A1B2C3"), public_card(), "04A1B2C3"),
    "blocked_card": (
        lambda m: depot(m, "ACME-LOST-01"),
        org_card("ACME-LOST-01", ACME, status=CardStatus.BLOCKED),
        "ACME-LOST-01",
    ),
    "expired_card": (
        lambda m: depot(m, "04A1B2C3"),
        public_card(status=CardStatus.EXPIRED),
        "04A1B2C3",
    ),
    "unknown_tag": (lambda m: depot(m), None, "DEADBEEF"),
}

# situation                  Open   Whitelisting  Roaming  Roaming & Whitelisting
EXPECTED = {
    "same_org_card":            (FREE,  REJ,   REJ,     REJ),
    "whitelisted_card":         (FREE,  FREE,  REJ,     FREE),
    "company_card_at_home":     (REIMB, REIMB, REJ,     REIMB),
    "flagged_card_at_home":     (REIMB, REIMB, REJ,     REIMB),
    "public_card":              (FREE,  REJ,   ROAMING, ROAMING),
    "whitelisted_public_card":  (FREE,  FREE,  ROAMING, FREE),
    "blocked_card":             (FREE,  REJ,   REJ,     REJ),
    "expired_card":             (FREE,  REJ,   REJ,     REJ),
    "unknown_tag":              (FREE,  REJ,   REJ,     REJ),
}  # fmt: skip

MATRIX = [
    pytest.param(situation, mode, expected[i], id=f"{mode.value}-{situation}")
    for situation, expected in EXPECTED.items()
    for i, mode in enumerate((OPEN, WL, ROAM, RW))
]


@pytest.mark.parametrize(("situation", "mode", "category"), MATRIX)
def test_access_mode_matrix_decides_acceptance_and_category(situation, mode, category):
    point_for, card, uid = SITUATIONS[situation]
    decision = authorize(point_for(mode), card, uid)
    assert decision.category is category
    assert decision.accepted is (category is not Category.REJECTED)
    assert decision.reason


# SCENARIOS.md, October sessions


def test_home_session_with_company_card_is_reimbursed_to_employee():  # S1
    decision = authorize(home(WL, "ACME-JAN-01"), COMPANY_CARD, "ACME-JAN-01")
    assert decision.accepted and decision.category is Category.REIMBURSED
    assert "reimbursed by organization 1" in decision.reason
    assert decision.card_organization_id == ACME


def test_shell_recharge_token_at_the_depot_is_roaming():  # S2, S4
    decision = authorize(depot(RW, "ACME-JAN-01"), public_card(), "04A1B2C3")
    assert decision.accepted and decision.category is Category.ROAMING
    assert decision.emsp_id == SHELL
    assert decision.contract_id == "NL-TNM-C00122045-K"


def test_company_card_at_the_main_organizations_depot_is_free():  # S3
    decision = authorize(depot(RW, "ACME-JAN-01"), COMPANY_CARD, "ACME-JAN-01")
    assert decision.accepted and decision.category is Category.FREE
    assert decision.whitelisted


def test_unknown_tag_at_the_depot_is_rejected():  # S5
    decision = authorize(depot(RW, "ACME-JAN-01"), None, "DEADBEEF")
    assert not decision.accepted and decision.category is Category.REJECTED
    assert "unknown tag DEADBEEF" in decision.reason


# Edges


def test_refusal_reason_names_the_blocked_card_by_contract_id():
    decision = authorize(depot(ROAM), public_card(status=CardStatus.BLOCKED), "04A1B2C3")
    assert decision.reason == "card NL-TNM-C00122045-K blocked"


def test_company_card_not_whitelisted_at_home_is_refused_in_whitelisting_mode():
    decision = authorize(home(WL), COMPANY_CARD, "ACME-JAN-01")
    assert decision.category is Category.REJECTED
    assert "not whitelisted" in decision.reason


def test_blocked_company_card_charges_free_in_open_mode_and_the_employer_does_not_pay():
    blocked = org_card("ACME-JAN-01", ACME, status=CardStatus.BLOCKED)
    decision = authorize(home(OPEN), blocked, "ACME-JAN-01")
    assert decision.accepted and decision.category is Category.FREE


def test_company_card_of_another_main_organization_is_not_reimbursed():
    decision = authorize(home(WL, "OTHER-01"), org_card("OTHER-01", OTHER), "OTHER-01")
    assert decision.category is Category.FREE


def test_employees_own_unflagged_card_at_home_is_free():
    decision = authorize(home(WL, "JAN-PRIVATE"), org_card("JAN-PRIVATE", JAN), "JAN-PRIVATE")
    assert decision.category is Category.FREE


def test_reimbursable_flag_for_another_suborganization_does_not_apply():
    card = org_card("PIET-PRIVATE", OTHER, reimbursable_for={99})
    decision = authorize(home(WL, "PIET-PRIVATE"), card, "PIET-PRIVATE")
    assert decision.category is Category.FREE


def test_reimbursable_flag_does_not_apply_at_a_main_organizations_charger():
    card = org_card("X-1", OTHER, reimbursable_for={ACME})
    assert authorize(depot(WL, "X-1"), card, "X-1").category is Category.FREE


def test_flagged_public_card_at_home_is_reimbursed_in_roaming_and_whitelisting_mode():
    card = public_card(reimbursable_for={JAN})
    assert authorize(home(RW), card, "04A1B2C3").category is Category.REIMBURSED


def test_roaming_mode_bills_the_emsp_even_for_a_flagged_public_card():
    card = public_card(reimbursable_for={JAN})
    assert authorize(home(ROAM), card, "04A1B2C3").category is Category.ROAMING


def test_whitelisted_uid_without_a_card_record_charges_free():
    decision = authorize(depot(WL, "CAFE0001"), None, "CAFE0001")
    assert decision.accepted and decision.category is Category.FREE


def test_public_card_without_an_emsp_cannot_roam():
    decision = authorize(depot(ROAM), public_card(emsp=None), "04A1B2C3")
    assert decision.category is Category.REJECTED
    assert "no eMSP" in decision.reason


def test_organization_card_is_refused_in_roaming_mode():
    decision = authorize(depot(ROAM, "ACME-JAN-01"), COMPANY_CARD, "ACME-JAN-01")
    assert decision.category is Category.REJECTED
    assert "not a public card" in decision.reason


cards = st.one_of(
    st.none(),
    st.builds(
        CardFacts,
        uid=st.sampled_from(["A", "B", "C"]),
        kind=st.sampled_from(CardKind),
        status=st.sampled_from(CardStatus),
        organization_id=st.one_of(st.none(), st.sampled_from([ACME, JAN, OTHER])),
        emsp_id=st.one_of(st.none(), st.just(SHELL)),
        reimbursable_for=st.frozensets(st.sampled_from([ACME, JAN, OTHER])),
    ),
)
points = st.builds(
    PointFacts,
    charging_point_id=st.just(1),
    organization_id=st.sampled_from([ACME, JAN]),
    main_organization_id=st.just(ACME),
    organization_is_suborganization=st.booleans(),
    access_mode=st.sampled_from(AccessMode),
    whitelist=st.frozensets(st.sampled_from(["A", "B", "C"])),
)


@given(point=points, card=cards, uid=st.sampled_from(["A", "B", "C"]))
def test_decisions_obey_the_access_rules(point, card, uid):
    decision = authorize(point, card, uid)
    assert decision.accepted is (decision.category is not Category.REJECTED)
    if point.access_mode is AccessMode.OPEN:
        assert decision.accepted
        assert decision.category is not Category.ROAMING  # nothing passed to the cardholder
    elif card is not None and card.status is not CardStatus.ACTIVE:
        assert not decision.accepted
    if decision.category is Category.ROAMING:
        assert card is not None and card.kind is CardKind.PUBLIC and card.emsp_id is not None
    if decision.category is Category.REIMBURSED:
        assert point.organization_is_suborganization
        assert card is not None and card.status is CardStatus.ACTIVE


def test_facts_accept_values_as_stored_in_the_database():
    point = PointFacts(20, JAN, ACME, True, "whitelisting", ["ACME-JAN-01"])
    card = CardFacts("ACME-JAN-01", "organization", "active", organization_id=ACME)
    assert point.access_mode is AccessMode.WHITELISTING
    assert authorize(point, card, "ACME-JAN-01").category is Category.REIMBURSED


def test_facts_refuse_unknown_modes_and_a_bare_string_whitelist():
    with pytest.raises(ValueError):
        PointFacts(1, ACME, ACME, False, "free-for-all")
    with pytest.raises(TypeError):
        PointFacts(1, ACME, ACME, False, AccessMode.WHITELISTING, "ACME-JAN-01")
