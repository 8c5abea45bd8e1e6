r"""Reading mail text: zoning (the author's own words), promises, due dates and the other signals a pass needs.

Every function here is pure and fast; importing this package pulls in nothing heavier than the stdlib.

All of it reads text that anyone in the world can send, so every path is linear in its input (issue 10): no
regular expression may retry the splits of a long run between overlapping quantifiers. Where a quantifier is
followed by something it cannot match (spaces, then a word), it is possessive (``\s*+``, Python 3.11), which
matches the same text and never gives characters back; a pattern searched over a whole body starts only at
the first character of a run; a repeat with no natural end is bounded. ``tests/test_hostile_text.py`` times
every entry point on long runs of each character class, and ``zoning.MAX_AUTHOR_CHARS`` caps what the
detectors read of one message.
"""
