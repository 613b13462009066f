"""The key ledger remembers every key exactly, in little memory."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tap_litmos.ledger import KeyLedger


@given(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=300))
def test_a_key_is_new_exactly_once(keys):
    ledger = KeyLedger()
    seen: set[tuple[str, str]] = set()
    for key in keys:
        assert ledger.add(key) is (key not in seen)
        seen.add(key)
    assert len(ledger) == len(seen)


def test_growth_keeps_every_key():
    ledger = KeyLedger()
    keys = [(f"user-{number}",) for number in range(50_000)]
    assert all(ledger.add(key) for key in keys)
    assert not any(ledger.add(key) for key in keys)
    assert len(ledger) == 50_000


def test_the_parts_of_a_key_stay_apart():
    ledger = KeyLedger()
    assert ledger.add(("ab", "c"))
    assert ledger.add(("a", "bc"))
