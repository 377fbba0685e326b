"""The README's permission table is the matrix in code, row for row."""

from pathlib import Path

from fillrate.accounts.permissions import MATRIX, Role

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_permission_table_matches_the_matrix():
    rows = {}
    for line in README.read_text().splitlines():
        if line.startswith("| `") and line.count("|") == 7:
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0].strip("`")] = {r for r, cell in zip(Role, cells[2:], strict=True)
                                        if cell == "yes"}
    assert rows == {name: set(roles) for name, (_, roles) in MATRIX.items()}
