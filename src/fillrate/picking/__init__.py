"""The warehouse floor: the pick queue, pick runs, totes, picks and the issues wall."""
