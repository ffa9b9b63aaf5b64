"""Who meets whom: forbidden pairs never, strangers first, shared interests, one seed, one plan."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.features.cafe import Group, Pool, parse_duration, plan_round

pytestmark = pytest.mark.cafe


def pairs(groups: Iterable[Group]) -> set[frozenset[str]]:
    found: set[frozenset[str]] = set()
    for group in groups:
        found.update(frozenset(p) for p in combinations(group.members, 2))
    return found


def test_pairs_of_two_and_an_odd_one_out_makes_a_group_of_three() -> None:
    plan = plan_round(Pool(members=["a", "b", "c", "d", "e"]), size=2, seed=1)

    assert sorted(len(g.members) for g in plan.groups) == [2, 3]
    assert sorted(m for g in plan.groups for m in g.members) == ["a", "b", "c", "d", "e"]
    assert plan.left_out == ()


def test_the_group_size_is_configurable() -> None:
    plan = plan_round(Pool(members=[f"m{i}" for i in range(9)]), size=3, seed=7)

    assert [len(g.members) for g in plan.groups] == [3, 3, 3]


def test_the_same_seed_gives_the_same_plan_whatever_the_order_given() -> None:
    members = [f"m{i}" for i in range(40)]
    first = plan_round(Pool(members=members), size=2, seed=42)
    again = plan_round(Pool(members=list(reversed(members))), size=2, seed=42)
    other = plan_round(Pool(members=members), size=2, seed=43)

    assert first == again
    assert first != other


def test_forbidden_pairs_never_meet_even_when_that_leaves_someone_out() -> None:
    forbidden = {frozenset(("a", "b"))}
    for seed in range(50):
        plan = plan_round(Pool(members=["a", "b"], forbidden=forbidden), size=2, seed=seed)
        assert plan.groups == ()
        assert plan.left_out == ("a", "b")
        plan = plan_round(
            Pool(members=["a", "b", "c", "d"], forbidden=forbidden), size=2, seed=seed
        )
        assert frozenset(("a", "b")) not in pairs(plan.groups)
        assert len(plan.groups) == 2


def test_people_who_already_talk_are_paired_last() -> None:
    # a talks with b, c with d: the plan pairs across.
    contacts = {frozenset(("a", "b")), frozenset(("c", "d"))}
    for seed in range(30):
        plan = plan_round(Pool(members=["a", "b", "c", "d"], contacts=contacts), size=2, seed=seed)
        assert not pairs(plan.groups) & contacts


def test_a_shared_declared_interest_is_preferred_and_named() -> None:
    interests = {
        "a": frozenset({"rust"}),
        "b": frozenset({"cooking"}),
        "c": frozenset({"rust"}),
        "d": frozenset({"cooking"}),
    }
    for seed in range(30):
        plan = plan_round(
            Pool(members=["a", "b", "c", "d"], interests=interests), size=2, seed=seed
        )
        assert pairs(plan.groups) == {frozenset(("a", "c")), frozenset(("b", "d"))}
        assert {g.interest for g in plan.groups} == {"rust", "cooking"}
        ignored = plan_round(
            Pool(members=["a", "b", "c", "d"], interests=interests),
            size=2,
            seed=seed,
            prefer_interests=False,
        )
        assert {g.interest for g in ignored.groups} == {None}


def test_a_group_size_below_two_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        plan_round(Pool(members=["a", "b"]), size=1, seed=0)


@settings(max_examples=60, deadline=None)
@given(
    members=st.sets(st.integers(0, 40), max_size=30),
    forbidden=st.sets(st.tuples(st.integers(0, 40), st.integers(0, 40)), max_size=40),
    size=st.integers(2, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_plan_seats_each_member_once_never_in_a_forbidden_pair(
    members: set[int], forbidden: set[tuple[int, int]], size: int, seed: int
) -> None:
    names = [f"m{i}" for i in members]
    banned = {frozenset((f"m{a}", f"m{b}")) for a, b in forbidden if a != b}
    plan = plan_round(Pool(members=names, forbidden=banned), size=size, seed=seed)

    seated = [m for g in plan.groups for m in g.members]
    assert sorted(seated + list(plan.left_out)) == sorted(names)
    assert not pairs(plan.groups) & banned
    assert all(len(g.members) >= size for g in plan.groups)
    assert plan == plan_round(Pool(members=names, forbidden=banned), size=size, seed=seed)
    if not banned and len(names) >= size:
        assert plan.left_out == ()


@pytest.mark.parametrize(
    ("text", "days"),
    [("10", 10), ("10d", 10), ("10j", 10), ("2w", 14), (" 3 W ", 21)],
)
def test_a_snooze_reads_days_or_weeks(text: str, days: int) -> None:
    duration = parse_duration(text)
    assert duration is not None
    assert duration.days == days


@pytest.mark.parametrize("text", ["", "0", "soon", "2 months", "-3", "12345"])
def test_a_snooze_that_is_not_a_duration_is_refused(text: str) -> None:
    assert parse_duration(text) is None
