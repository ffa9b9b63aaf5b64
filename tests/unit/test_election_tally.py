"""Counting ballots, checked against examples worked out by hand."""

from __future__ import annotations

import pytest

from bot.features.election import count, count_ranked, count_single

pytestmark = pytest.mark.election


def ballots(*groups: tuple[int, str]) -> list[tuple[str, ...]]:
    """Expand `(3, "ABC")` into three ballots ranking A, then B, then C."""
    return [tuple(ranking) for times, ranking in groups for _ in range(times)]


def test_single_choice_counts_first_choices() -> None:
    tally = count_single(ballots((4, "A"), (3, "B"), (2, "C")), "ABC")
    assert tally.winners == ("A",)
    assert tally.rounds == ({"A": 4, "B": 3, "C": 2},)
    assert tally.ballots == 9
    assert not tally.tied


def test_single_choice_tie_returns_every_tied_candidate() -> None:
    tally = count_single(ballots((2, "A"), (2, "B"), (1, "C")), "ABC")
    assert tally.winners == ("A", "B")
    assert tally.tied


def test_no_ballot_means_no_winner() -> None:
    assert count_single([], "AB").winners == ()
    assert count_ranked([], "AB").winners == ()
    assert count_ranked([], "AB").ballots == 0


def test_instant_runoff_transfers_the_eliminated_candidates_ballots() -> None:
    # Round 1: A 4, B 3, C 2 of 9, no majority; C is eliminated.
    # Round 2: C's two ballots go to B: A 4, B 5; B has 5 of 9.
    tally = count_ranked(ballots((4, "ABC"), (3, "BCA"), (2, "CBA")), "ABC")
    assert tally.rounds == ({"A": 4, "B": 3, "C": 2}, {"A": 4, "B": 5})
    assert tally.winners == ("B",)
    # The same ballots under single choice elect A: the methods really differ.
    assert count_single(ballots((4, "ABC"), (3, "BCA"), (2, "CBA")), "ABC").winners == ("A",)


def test_instant_runoff_majority_in_the_first_round() -> None:
    tally = count_ranked(ballots((5, "AB"), (2, "BA"), (1, "C")), "ABC")
    assert tally.rounds == ({"A": 5, "B": 2, "C": 1},)
    assert tally.winners == ("A",)


def test_exhausted_ballots_stop_counting() -> None:
    # Round 1: A 3, B 2, C 2 of 7. B and C tie for last with no earlier round: both go.
    # Round 2: the B and C ballots rank nobody else, so only A's 3 ballots are live: A wins.
    tally = count_ranked(ballots((3, "A"), (2, "B"), (2, "C")), "ABC")
    assert tally.rounds == ({"A": 3, "B": 2, "C": 2}, {"A": 3})
    assert tally.winners == ("A",)


def test_a_tie_for_last_is_broken_by_the_earlier_round() -> None:
    # Round 1: A 7, B 4, C 3, D 1 of 15; D goes, its ballot moves to C.
    # Round 2: A 7, B 4, C 4: B and C tie for last; in round 1 C had fewer (3 < 4): C goes.
    #   C's ballots: three "CB" move to B, the "DCA" one moves to A.
    # Round 3: A 8, B 7 of 15: A has a majority.
    tally = count_ranked(ballots((7, "A"), (4, "B"), (3, "CB"), (1, "DCA")), "ABCD")
    assert tally.rounds == (
        {"A": 7, "B": 4, "C": 3, "D": 1},
        {"A": 7, "B": 4, "C": 4},
        {"A": 8, "B": 7},
    )
    assert tally.winners == ("A",)


def test_instant_runoff_even_split_is_a_tie_not_a_pick() -> None:
    tally = count_ranked(ballots((2, "AB"), (2, "BA")), "AB")
    assert tally.winners == ("A", "B")
    assert tally.tied


def test_three_way_even_split_is_a_three_way_tie() -> None:
    tally = count_ranked(ballots((1, "ABC"), (1, "BCA"), (1, "CAB")), "ABC")
    assert tally.winners == ("A", "B", "C")


def test_candidates_nobody_ranked_are_eliminated_first() -> None:
    # Round 1: A 2, B 1, C 0 of 3; C goes. Round 2: A 2, B 1: A has a majority.
    tally = count_ranked(ballots((2, "AB"), (1, "BA")), "ABC")
    assert tally.rounds[0] == {"A": 2, "B": 1, "C": 0}
    assert tally.winners == ("A",)


def test_votes_for_unknown_candidates_are_ignored() -> None:
    tally = count_ranked([("X", "A"), ("B",), ("A",)], "AB")
    assert tally.rounds == ({"A": 2, "B": 1},)
    assert tally.winners == ("A",)


def test_count_dispatches_on_method_and_serialises() -> None:
    tally = count("ranked", ballots((4, "ABC"), (3, "BCA"), (2, "CBA")), "ABC")
    assert tally.to_dict() == {
        "winners": ["B"],
        "rounds": [{"A": 4, "B": 3, "C": 2}, {"A": 4, "B": 5}],
        "ballots": 9,
    }
    with pytest.raises(ValueError, match="unknown counting method 'borda'"):
        count("borda", [], "A")
