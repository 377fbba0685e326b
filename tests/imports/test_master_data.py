"""Products, customers, sales reps, suppliers and locations: created or
updated by their code, all rows or none, and an export imports unchanged."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fillrate.catalog.models import Product
from fillrate.core.models import Event
from fillrate.customers.models import Customer, SalesRep
from fillrate.inventory.models import Location, Warehouse
from fillrate.purchasing.models import Supplier
from fillrate.workflows.imports import ImportFailed, template
from tests.factories import LocationFactory, ProductFactory, SalesRepFactory
from tests.helpers import db_state
from tests.imports.conftest import csv_text, do_import, export


def errors_of(kind: str, text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(ImportFailed) as failed:
        do_import(kind, text)
    return [(e.row, e.column, e.message) for e in failed.value.errors]


# -- products ----------------------------------------------------------------------

def test_products_are_created_and_updated_by_sku(db):
    ProductFactory(sku="OLD-1", name="Old name", list_price=Decimal("3.00"))
    ProductFactory(sku="SAME-1", name="Same", list_price=Decimal("1.00"))
    result = do_import("products", csv_text(
        "sku,name,list_price,upc,discontinued",
        "NEW-1,Brand new,12.50,0123,false",
        "OLD-1,New name,4,,yes",
        "SAME-1,Same,1.00,,",
    ))
    assert (result.rows, result.created, result.updated, result.unchanged) == (3, 1, 1, 1)
    new = Product.objects.get(sku="NEW-1")
    assert (new.name, new.list_price, new.upc, new.discontinued) == (
        "Brand new", Decimal("12.50"), "0123", False)
    old = Product.objects.get(sku="OLD-1")
    assert (old.name, old.list_price, old.discontinued) == ("New name", Decimal("4.00"), True)
    event = Event.objects.get(type="ProductsImported")
    assert event.payload == {"rows": 3, "created": 1, "updated": 1, "unchanged": 1}
    assert result.summary().startswith("imported 3 products: 1 created, 1 updated, 1 unchanged")


def test_a_bad_product_file_writes_nothing_and_names_every_row_and_column(db):
    ProductFactory(sku="ABC-1")
    before = db_state()
    errors = errors_of("products", csv_text(
        "sku,name,list_price",
        "GOOD-1,Fine,1.00",
        "BAD 1,Spaces,1.00",
        "GOOD-2,,x",
        "GOOD-1,Again,1.00",
        "abc-1,Other case,1.00",
        "NEG,Negative,-1",
    ))
    assert errors == [
        (3, "sku", "cannot contain spaces"),
        (4, "name", "is required"),
        (4, "list_price", "'x' is not an amount (use digits and a point: 12.50)"),
        (5, "sku", "SKU GOOD-1 is on row 2 already"),
        (6, "sku", "SKU ABC-1 exists already (spelled ABC-1): use that spelling to update it"),
        (7, "list_price", "must be from 0 to 9999999999.99"),
    ]
    assert db_state() == before


@pytest.mark.parametrize("header, column, message", [
    ("sku,name", "list_price", "this column is required"),
    ("sku,name,list_price,colour", "colour", "unknown column"),
])
def test_a_bad_header_is_an_error_on_row_1(db, header, column, message):
    errors = errors_of("products", csv_text(header, "A,B,1,red"))
    assert errors[0][:2] == (1, column) and errors[0][2].startswith(message)
    assert not Product.objects.exists()


def test_an_empty_file_is_an_error(db):
    assert errors_of("products", "")[0][:2] == (1, "")


def test_a_dry_run_counts_and_writes_nothing(db):
    ProductFactory(sku="OLD-1", name="Old")
    before = db_state()
    result = do_import("products", csv_text("sku,name,list_price", "NEW-1,New,1",
                                            "OLD-1,Renamed,1"), dry_run=True)
    assert (result.dry_run, result.created, result.updated) == (True, 1, 1)
    assert db_state() == before
    assert "dry run" in result.summary()


def test_templates_are_the_header_rows():
    assert template("products") == ("sku,name,upc,variant,category,description,list_price,"
                                    "discontinued")
    assert template("stock") == "sku,warehouse,location,quantity"
    assert template("orders") == "order,customer,reference,hold,sku,quantity,unit_price"


# -- customers and sales reps -------------------------------------------------------

def test_customers_name_their_sales_rep_and_are_updated_by_code(db):
    do_import("sales-reps", csv_text("code,name,email", "REP-1,Ann Rep,ann@example.com"))
    assert SalesRep.objects.get(code="REP-1").email == "ann@example.com"
    result = do_import("customers", csv_text(
        "code,name,email,vip,sales_rep,delivery_address",
        'C-1,Corner Shop,shop@example.com,true,REP-1,"1 High St\nTown"',
        "C-2,Other,,,,",
    ))
    assert (result.created, result.updated) == (2, 0)
    c1 = Customer.objects.select_related("sales_rep").get(code="C-1")
    assert (c1.vip, c1.sales_rep.code, c1.delivery_address) == (True, "REP-1", "1 High St\nTown")
    # Blank cells clear a field; a column the file leaves out keeps it.
    do_import("customers", csv_text("code,name,vip,sales_rep", "C-1,Corner Shop Ltd,false,"))
    c1.refresh_from_db()
    assert (c1.name, c1.vip, c1.sales_rep_id, c1.email, c1.delivery_address) == (
        "Corner Shop Ltd", False, None, "shop@example.com", "1 High St\nTown")


def test_customer_errors_name_row_and_column(db):
    before = db_state()
    errors = errors_of("customers", csv_text(
        "code,name,email,vip,sales_rep",
        "C-1,Shop,not-an-email,maybe,NOBODY",
    ))
    assert errors == [
        (2, "email", "'not-an-email' is not an email address"),
        (2, "vip", "'maybe' is not true or false"),
    ]
    errors = errors_of("customers", csv_text("code,name,sales_rep", "C-1,Shop,NOBODY"))
    assert errors == [(2, "sales_rep", "no sales rep NOBODY (import sales-reps first)")]
    assert db_state() == before


# -- suppliers -----------------------------------------------------------------------

def test_suppliers_by_code(db):
    do_import("suppliers", csv_text("code,name,lead_time_days", "SUP-1,Acme,7", "SUP-2,Bolt,"))
    assert dict(Supplier.objects.values_list("code", "lead_time_days")) == {"SUP-1": 7,
                                                                             "SUP-2": 0}
    assert errors_of("suppliers", csv_text("code,name,lead_time_days", "SUP-3,X,-1")) == [
        (2, "lead_time_days", "must be from 0 to 3650")]


# -- locations ----------------------------------------------------------------------

def test_a_column_left_out_keeps_its_value_and_a_new_record_gets_the_default(db):
    ProductFactory(sku="OLD-1", name="Old", category="Tea", list_price=Decimal("2.00"))
    do_import("products", csv_text("sku,name,list_price", "OLD-1,Old,3", "NEW-1,New,1"))
    assert dict(Product.objects.values_list("sku", "category")) == {"OLD-1": "Tea",
                                                                     "NEW-1": ""}
    assert Product.objects.get(sku="OLD-1").list_price == Decimal("3.00")


def test_locations_create_their_warehouse_and_are_updated_by_warehouse_and_code(db):
    LocationFactory(code="A-01", kind="pick", pick_sequence=10)  # in MAIN
    result = do_import("locations", csv_text(
        "warehouse,code,name,kind,pick_sequence,zone,active",
        "MAIN,A-01,Aisle A bay 1,pick,15,A,true",
        "NORTH,R-01,Receiving dock,receiving,900,,",
    ))
    assert (result.created, result.updated, result.extra) == (1, 1, {"warehouses_created": 1})
    a01 = Location.objects.get(code="A-01")
    assert (a01.name, a01.pick_sequence, a01.zone) == ("Aisle A bay 1", 15, "A")
    assert Warehouse.objects.get(code="NORTH").name == "NORTH"
    assert Location.objects.get(code="R-01").active is True


def test_a_location_holding_stock_keeps_its_kind_and_stays_active(db, stock, pick_location):
    stock(quantity=3)
    before = db_state()
    errors = errors_of("locations", csv_text("warehouse,code,kind,active",
                                             "MAIN,A-01,issues,false"))
    assert [(r, c) for r, c, _ in errors] == [(2, "kind"), (2, "active")]
    assert "holds 3 units" in errors[0][2]
    assert db_state() == before


def test_an_unknown_location_kind_is_refused(db):
    assert errors_of("locations", csv_text("warehouse,code,kind", "MAIN,X,shelf")) == [
        (2, "kind", "must be one of pick, bulk, receiving, issues")]


# -- round trips ----------------------------------------------------------------------

def _master_data():
    rep = SalesRepFactory(code="REP-9", name="=Rep, with comma", email="rep@example.com")
    ProductFactory(sku="P-1", name='Quote "this"', description="two\nlines", category="-x",
                   list_price=Decimal("9.99"), discontinued=True)
    ProductFactory(sku="P-2", name="Plain", upc="00012", list_price=Decimal("0"))
    Customer.objects.create(code="C-9", name="Ünïcode Ltd", vip=True, sales_rep=rep,
                            delivery_address="1 Road\r\nCity", payment_terms="Net 30")
    Supplier.objects.create(code="SUP-9", name="+Supplier", lead_time_days=12)
    LocationFactory(code="Z-01", kind="bulk", pick_sequence=50, name="Zone", zone="Z")


@pytest.mark.parametrize("kind", ["products", "customers", "sales-reps", "suppliers",
                                  "locations"])
def test_an_export_imports_unchanged(db, kind):
    _master_data()
    before = db_state()
    first = export(kind)
    result = do_import(kind, first)
    assert (result.created, result.updated) == (0, 0)
    assert result.unchanged == result.rows > 0
    state = db_state()
    state.pop("core.Event"), before.pop("core.Event")  # the import's own summary event
    assert state == before
    assert export(kind) == first


def test_an_export_guards_formulas_and_the_import_reads_them_back(db):
    _master_data()
    text = export("sales-reps")
    assert "'=Rep, with comma" in text
    Customer.objects.all().delete()
    SalesRep.objects.all().delete()
    do_import("sales-reps", text)
    assert SalesRep.objects.get().name == "=Rep, with comma"


def test_an_export_loads_into_an_empty_database(db):
    _master_data()
    texts = {k: export(k) for k in ("sales-reps", "customers", "products", "suppliers",
                                    "locations")}
    Customer.objects.all().delete()
    SalesRep.objects.all().delete()
    Product.objects.all().delete()
    Supplier.objects.all().delete()
    Location.objects.all().delete()
    for kind, text in texts.items():
        assert do_import(kind, text).created > 0
        assert export(kind) == text
