"""The Import page in a real browser: a file with a bad row is previewed with
the error marked on its cell and cannot be confirmed; the fixed file can."""

from __future__ import annotations

import pytest

from fillrate.accounts.permissions import Role
from fillrate.accounts.services import add_user
from fillrate.catalog.models import Product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-9"
BAD = "sku,name,list_price\nTEA-1,Green tea,4.50\nTEA-2,Black tea,four\nTEA-3,White tea,9\n"
FIXED = BAD.replace("four", "4.00")


def test_preview_marks_the_bad_cell_then_the_fixed_file_imports(tab, live_server, tmp_path):
    from playwright.sync_api import expect

    add_user(username="sam", role=Role.SUPERVISOR, password=PASSWORD)
    tab.goto(f"{live_server.url}/login/")
    tab.get_by_label("User name").fill("sam")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.get_by_role("link", name="Import").click()

    bad = tmp_path / "teas.csv"
    bad.write_text(BAD)
    tab.locator("#import-kind").select_option("products")
    tab.locator("#import-file").set_input_files(str(bad))
    tab.get_by_role("button", name="Preview").click()

    expect(tab.locator("#import-errors-summary")).to_contain_text("1 error")
    marked = tab.locator("tr[data-row='3'] td.cell-error")
    expect(marked).to_have_count(1)
    expect(marked).to_contain_text("four")
    expect(marked).to_contain_text("is not an amount")
    expect(tab.locator("tr[data-row='2'] td.cell-error")).to_have_count(0)
    expect(tab.locator("#import-confirm")).to_have_count(0)
    assert not Product.objects.exists()

    fixed = tmp_path / "teas-fixed.csv"
    fixed.write_text(FIXED)
    tab.locator("#import-kind").select_option("products")
    tab.locator("#import-file").set_input_files(str(fixed))
    tab.get_by_role("button", name="Preview").click()
    expect(tab.locator("#import-dry-run")).to_contain_text("3 to create")
    expect(tab.locator("td.cell-error")).to_have_count(0)
    assert not Product.objects.exists()

    tab.get_by_role("button", name="Import 3 rows").click()
    expect(tab.get_by_role("status").first).to_contain_text("imported 3 products: 3 created")
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["TEA-1", "TEA-2", "TEA-3"]
