"""A paginator whose count stays cheap on large tables (`core.counting`)."""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator

from fillrate.core.counting import Counted, count_rows


class CountedPaginator(Paginator):
    """`count` is exact on small tables and up to 1,000 matches, else the
    database's estimate; `count_text` says "about N" for an estimate."""

    @cached_property
    def counted(self) -> Counted:
        return count_rows(self.object_list)

    @cached_property
    def count(self) -> int:
        return self.counted.n

    @property
    def count_text(self) -> str:
        return str(self.counted)
