"""Helpers for the CSV import and export tests."""

from __future__ import annotations

import io

import pytest

from fillrate.cli import main
from fillrate.workflows.imports import kind_named, run_import
from fillrate.workflows.imports.exports import write_csv


def do_import(kind: str, text: str, *, dry_run: bool = False, actor_id: int | None = None):
    return run_import(kind_named(kind), lambda: io.StringIO(text, newline=""), dry_run=dry_run,
                      actor_id=actor_id)


def export(kind: str, rows=None) -> str:
    out = io.StringIO(newline="")
    write_csv(kind, out, rows)
    return out.getvalue()


def csv_text(*rows: str) -> str:
    return "\r\n".join(rows) + "\r\n"


@pytest.fixture
def run(capsys):
    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


from tests.web.conftest import login  # noqa: E402, F401  (the logged-in clients fixture)
