"""Stage 4, dedup: takes an extracted `Article`, hands on what the store needs to place it
(`intake.Prepared`: the record, its MinHash fingerprint, band keys and block keys) and,
given what the store already holds under its URL, its text hash and its bands, the
decision (`decide`): same URL, same text, near copy, or new. Pure: no I/O.

`fingerprint` holds the hashes and MinHash; `site_boilerplate` the per-host block keys and
their stripping.

Tests: tests/test_dedup.py (decisions as a table, and through a real store on both engines).
"""
