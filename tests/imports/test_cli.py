"""`fillrate import` and `fillrate export`."""

from __future__ import annotations

from decimal import Decimal

from fillrate.catalog.models import Product
from tests.factories import ProductFactory
from tests.helpers import db_state


def test_import_prints_a_summary(run, tmp_path, db):
    path = tmp_path / "products.csv"
    path.write_text("\ufeffsku,name,list_price\nA-1,Apple,1.50\n", encoding="utf-8")
    code, out, err = run("import", "products", str(path))
    assert code == 0, err
    assert out.startswith("imported 1 products: 1 created, 0 updated in ")
    assert Product.objects.get().list_price == Decimal("1.50")


def test_import_errors_exit_2_naming_rows_and_columns_and_write_nothing(run, tmp_path, db):
    path = tmp_path / "bad.csv"
    rows = ["sku,name,list_price"] + [f"S-{i},Name,x" for i in range(25)]
    path.write_text("\n".join(rows) + "\n")
    before = db_state()
    code, out, err = run("import", "products", str(path))
    assert code == 2
    lines = err.splitlines()
    assert lines[0] == f"{path}: row 2, column list_price: 'x' is not an amount (use digits " \
                       "and a point: 12.50)"
    assert "... and 5 more" in lines
    assert lines[-1] == "fillrate import: 25 error(s); nothing was imported"
    assert db_state() == before


def test_dry_run_writes_nothing(run, tmp_path, db):
    path = tmp_path / "p.csv"
    path.write_text("sku,name,list_price\nA-1,Apple,1.50\n")
    code, out, _ = run("import", "products", str(path), "--dry-run")
    assert code == 0
    assert out.startswith("would import 1 products: 1 created")
    assert not Product.objects.exists()


def test_template_prints_the_header_row(run, db):
    assert run("import", "stock", "--template") == (0, "sku,warehouse,location,quantity\n", "")


def test_a_missing_or_unreadable_file_exits_2(run, tmp_path, db):
    code, _, err = run("import", "products", str(tmp_path / "nope.csv"))
    assert code == 2 and "no file" in err
    code, _, err = run("import", "products")
    assert code == 2 and "--template" in err
    latin = tmp_path / "latin.csv"
    latin.write_bytes("sku,name,list_price\nA,Caf\xe9,1\n".encode("latin-1"))
    code, _, err = run("import", "products", str(latin))
    assert code == 2 and "not UTF-8" in err


def test_export_to_a_file_and_to_standard_output(run, tmp_path, db):
    ProductFactory(sku="A-1", name="Apple", list_price=Decimal("1.5"))
    code, out, _ = run("export", "products")
    assert code == 0
    assert out.splitlines()[1] == "A-1,Apple,,,,,1.50,false"
    path = tmp_path / "out.csv"
    code, _, err = run("export", "products", str(path))
    assert code == 0 and "exported 1 rows of products" in err
    assert path.read_bytes() == (b"sku,name,upc,variant,category,description,list_price,"
                                 b"discontinued\r\nA-1,Apple,,,,,1.50,false\r\n")
    code, _, err = run("import", "products", str(path))
    assert code == 0


def test_export_of_backorders_and_invoices_has_a_header(run, db):
    assert run("export", "backorders")[1].startswith("backorder,order,customer,status")
    assert run("export", "invoices")[1].startswith("InvoiceNo,Customer")
