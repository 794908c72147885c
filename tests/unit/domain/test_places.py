"""The place tree's walks end on any input: loops and over-deep chains are cut."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.places import MAX_DEPTH, acyclic, ancestors, descendants

TREE = {1: None, 2: 1, 3: 2, 4: 2, 5: 1}


def test_walks_of_a_proper_tree():
    assert ancestors(TREE, 3) == [2, 1]
    assert ancestors(TREE, 1) == []
    assert descendants(TREE, 2) == [2, 3, 4]
    assert sorted(descendants(TREE, 1)) == [1, 2, 3, 4, 5]
    assert acyclic(TREE) == (TREE, [])


def test_a_place_that_is_its_own_parent_is_cut():
    fixed, cut = acyclic({1: 1, 2: 1})
    assert fixed == {1: None, 2: 1} and cut == [1]
    assert ancestors({1: 1}, 1) == [] and descendants({1: 1}, 1) == [1]


def test_a_longer_loop_is_cut_once():
    fixed, cut = acyclic({1: 3, 2: 1, 3: 2})
    assert len(cut) == 1
    assert all(len(ancestors(fixed, p)) < 3 for p in fixed)


def test_a_chain_deeper_than_the_bound_is_cut():
    chain = {i: i - 1 if i else None for i in range(MAX_DEPTH + 5)}
    fixed, cut = acyclic(chain)
    assert cut
    assert all(len(ancestors(fixed, p)) <= MAX_DEPTH for p in fixed)


@given(st.dictionaries(st.integers(0, 30), st.one_of(st.none(), st.integers(0, 30)), max_size=31))
def test_walks_end_and_the_cut_tree_has_no_loop(parents):
    fixed, _ = acyclic(parents)
    for place in parents:
        up = ancestors(parents, place)
        assert place not in up and len(up) <= MAX_DEPTH and len(up) == len(set(up))
        down = descendants(parents, place)
        assert len(down) == len(set(down)) and down[0] == place
        # After the cut, following parents reaches a root within the bound.
        current, steps = fixed.get(place), 0
        while current is not None:
            current, steps = fixed.get(current), steps + 1
            assert steps <= MAX_DEPTH + 1
