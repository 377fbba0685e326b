"""One owner for every quantity (DESIGN.md): stock levels and the movement
ledger are written only in `fillrate.inventory`; order-line buckets only in
`fillrate.orders`, backorder-line buckets only in `fillrate.backorders`
(and purchase-order lines' in `fillrate.purchasing`).
This reads the source, so a new writer elsewhere fails CI."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import fillrate

SRC = Path(fillrate.__file__).parent
WRITES = {"update", "create", "bulk_create", "bulk_update", "delete", "get_or_create",
          "update_or_create", "raw"}
STOCK_MODELS = {"StockLevel", "StockMovement"}
BUCKETS = {"on_hand", "allocated", "shipped", "backordered", "cancelled", "fulfilled"}


def modules(outside: tuple[str, ...]):
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if "migrations" in rel.parts or rel.parts[0] in outside:
            continue
        yield rel, path.read_text()


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def stock_writes(source: str) -> list[str]:
    """ORM writes through StockLevel/StockMovement, their constructors,
    set-based helpers aimed at them, and raw SQL that writes their tables."""
    tree = ast.parse(source)
    found = []
    tables: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "StockMovement":
                found.append(f"line {node.lineno}: StockMovement(...)")
            if (isinstance(func, ast.Attribute) and func.attr in WRITES
                    and _names_in(func.value) & STOCK_MODELS):
                found.append(f"line {node.lineno}: {func.attr} on a stock model")
            if (isinstance(func, ast.Name)
                    and func.id in {"add_to_column", "add_to_columns", "insert_instances"}
                    or isinstance(func, ast.Attribute) and func.attr in {"add", "insert"}) \
                    and any(isinstance(a, ast.Name) and a.id in STOCK_MODELS
                            for a in node.args):
                found.append(f"line {node.lineno}: set-based write of a stock model")
        if isinstance(node, ast.Assign):
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            targets = (node.targets[0].elts if isinstance(node.targets[0], ast.Tuple)
                       else node.targets)
            for target, value in zip(targets, values, strict=False):
                if (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                        and value.func.id == "table" and _names_in(value) & STOCK_MODELS
                        and isinstance(target, ast.Name)):
                    tables.add(target.id)
    for name in tables | {r"table\((?:StockLevel|StockMovement)\)"}:
        for match in re.finditer(rf"(UPDATE|INSERT INTO|DELETE FROM)\s+\{{{name}\}}", source):
            found.append(f"{match.group(1)} of a stock table ({name})")
    return found


def bucket_writes(source: str) -> list[str]:
    tree = ast.parse(source)
    return [f"line {node.lineno}: {t.attr}"
            for node in ast.walk(tree) if isinstance(node, ast.Assign | ast.AugAssign)
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(t, ast.Attribute) and t.attr in BUCKETS]


def test_only_inventory_writes_stock_levels_and_movements():
    offenders = {str(rel): found for rel, source in modules(outside=("inventory",))
                 if (found := stock_writes(source))}
    assert offenders == {}


def test_only_orders_and_backorders_change_line_buckets():
    offenders = {str(rel): found
                 for rel, source in modules(outside=("orders", "backorders", "inventory",
                                                     "purchasing"))
                 if (found := bucket_writes(source))}
    assert offenders == {}


def test_the_check_finds_what_it_looks_for():
    assert stock_writes("StockLevel.objects.filter(id=1).update(on_hand=F('on_hand') + 1)")
    assert stock_writes("StockMovement.objects.bulk_create([])")
    assert stock_writes("x = StockMovement(quantity=1)")
    assert stock_writes("add_to_column(StockLevel, 'allocated', {})")
    assert stock_writes("add_to_columns(StockLevel, {'allocated': {}})")
    assert stock_writes("batch.add(StockLevel, 'allocated', d)")
    assert stock_writes("sl, loc = table(StockLevel), table(Location)\n"
                        "sql = f'UPDATE {sl} sl SET allocated = 0'")
    assert not stock_writes("StockLevel.objects.filter(product_id=1).values('on_hand')")
    assert not stock_writes("sl = table(StockLevel)\nsql = f'SELECT * FROM {sl}'")
    assert bucket_writes("line.allocated += 3")
    assert bucket_writes("line.backordered = 0")
    assert not bucket_writes("allocated = line.allocated + 3")
