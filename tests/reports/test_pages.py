"""The report pages and the dashboard: figures, links to the lists they
count, CSV downloads, the landing page by role, and bad input."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from fillrate.accounts.permissions import Role
from fillrate.backorders.services import log_communication
from fillrate.web.charts import bar_chart, column_chart
from tests.helpers import db_state

pytestmark = pytest.mark.django_db

PAGES = [("web:dashboard", []), ("web:reports", []), ("web:report_aging", []),
         ("web:report_by_product", []), ("web:report_timeline", []),
         ("web:report_fill_rate", []), ("web:report_follow_ups", []), ("web:report_max_age", []),
         ("web:report_rep", ["REP-1"]), ("web:report_customer", ["C-ACME"])]


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_a_stranger_is_sent_to_log_in(client, name, args):
    url = reverse(name, args=args)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:login')}?next={url}"


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("name", "args"), PAGES)
def test_every_role_opens_every_report(scenario, login, role, name, args):
    assert login(role).get(reverse(name, args=args)).status_code == 200


@pytest.mark.parametrize(("role", "landing"), [
    (Role.ADMINISTRATOR, "web:dashboard"), (Role.SUPERVISOR, "web:dashboard"),
    (Role.WAREHOUSE, "web:products"), (Role.SALES, "web:products")])
def test_supervisors_and_administrators_land_on_the_dashboard(login, role, landing):
    response = login(role).get("/")
    assert response.status_code == 302 and response["Location"] == reverse(landing)


def test_dashboard_figures_link_to_their_lists(scenario, login, at_now):
    log_communication(number=scenario.b5.number, method="phone", summary="Call back",
                      next_follow_up=scenario.today)
    page = text(login(Role.SUPERVISOR).get(reverse("web:dashboard")))
    # Open 3 backorders, 9 units, 39.00; overdue B2; one follow-up due (B5).
    assert re.search(r'href="/backorders/\?status=active" id="fig-open">Open backorders'
                     r"<span>3</span>9 units · 39.00", page)
    assert re.search(r'id="fig-overdue">Overdue<span>1</span>2 units waiting', page)
    assert re.search(r'id="fig-follow-ups">Follow-ups due<span>1</span>', page)
    assert re.search(r'id="fig-fill-rate">Unit fill rate, 30 days<span>44.0 %</span>', page)
    # Aging rows link to the list with the same bucket; the chart is inline SVG.
    assert '<a href="/backorders/?age=31_plus">1</a>' in page
    assert page.count("<svg role=\"img\"") == 3
    assert '<a href="/backorders/?sku=GADGET&amp;status=active">GADGET</a>' in page
    assert '<a href="/backorders/?expected=overdue&amp;status=active">1</a>' in page
    assert "<script" not in page.split("</head>")[1]


def test_the_aging_link_counts_what_the_figure_says(scenario, login, at_now):
    client = login(Role.SUPERVISOR)
    page = text(client.get(reverse("web:backorders"), {"age": "0_7"}))
    assert scenario.b2.number in page
    assert scenario.b5.number not in page and scenario.b6.number not in page


def test_aging_page_by_product_and_csv(scenario, login, at_now):
    client = login(Role.SALES)
    page = text(client.get(reverse("web:report_aging"), {"by": "product"}))
    assert '<a href="/backorders/?age=31_plus&amp;sku=GADGET">1</a>' in page
    response = client.get(reverse("web:report_aging"), {"by": "product", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0] == (
        "by,code,name,bucket,backorders,units,value")


def test_by_product_timeline_and_fill_rate_pages(scenario, login, at_now):
    client = login(Role.WAREHOUSE)
    page = text(client.get(reverse("web:report_by_product")))
    assert re.search(r"BOLT</a>.*?<td data-label=\"Shortfall\" class=\"num short\">6</td>", page)
    page = text(client.get(reverse("web:report_timeline")))
    assert re.search(r'data-bucket="next_week">.*?<td class="num">5</td></tr>', page)
    page = text(client.get(reverse("web:report_fill_rate"), {"by": "customer"}))
    assert re.search(r'data-group="C-ACME">.*?47.8 %', page)
    assert "1 excessive delay" in page
    csv_text = client.get(reverse("web:report_fill_rate"), {"format": "csv"}).content.decode()
    assert csv_text.splitlines()[1].startswith(",,All orders,5,1,4,7,3,25,11,0.4400")


def test_rep_and_customer_pages_show_only_their_customers(scenario, login, at_now):
    client = login(Role.SALES)
    rep = text(client.get(reverse("web:report_rep", args=["REP-1"])))
    assert re.search(r"Open backorders<span>1</span>5 units · 7.50", rep)
    vip = text(client.get(reverse("web:report_customer", args=["C-VIP"])))
    assert re.search(r"Open backorders<span>2</span>4 units · 31.50", vip)
    assert client.get(reverse("web:report_rep", args=["NOPE"])).status_code == 404
    assert client.get(reverse("web:report_customer", args=["NOPE"])).status_code == 404


@pytest.mark.parametrize(("name", "params", "field"), [
    ("web:report_aging", {"by": "warehouse"}, "by"),
    ("web:report_by_product", {"ordering": "colour"}, "ordering"),
    ("web:report_timeline", {"customer": "NOPE"}, "customer"),
    ("web:report_fill_rate", {"from": "yesterday"}, "from"),
    ("web:report_fill_rate", {"from": "2026-12-10", "to": "2026-12-01"}, "to"),
])
def test_bad_input_is_shown_and_changes_nothing(scenario, login, name, params, field):
    client = login(Role.SUPERVISOR)
    before = db_state()
    response = client.get(reverse(name), params)
    assert response.status_code in (404, 422)
    page = text(response)
    assert 'class="flash error" role="alert"' in page
    assert 'class="invalid"' in page
    assert db_state() == before


def test_bar_chart_geometry():
    chart = bar_chart("t", [("a", 10, "10", "/a"), ("b", 5, "5", "/b"), ("c", 0, "0", "/c")],
                      width=300, label_width=100)
    assert [b.width for b in chart.bars] == [130.0, 65.0, 0.0]  # plot = 300 - 100 - 70
    assert [b.y for b in chart.bars] == [0, 30, 60]
    assert bar_chart("t", [("a", 0, "0", "/a")]).bars[0].width == 0.0


def test_column_chart_geometry():
    chart = column_chart("t", ("x", "y"), [("w1", [4, 2]), ("w2", [0, 8])], plot_height=80)
    assert chart.top == 8
    (a, b), (c, d) = (g.columns for g in chart.groups)
    assert (a.height, b.height, c.height, d.height) == (40.0, 20.0, 0.0, 80.0)
    assert a.y == 40.0 and d.y == 0.0


def test_a_stranger_at_the_root_logs_in_and_then_lands_by_role(client):
    response = client.get("/")
    assert response["Location"] == f"{reverse('web:login')}?next=/"


def test_a_customer_page_links_to_its_report(scenario, login):
    page = login(Role.SALES).get(reverse("web:customer", args=["C-VIP"])).content.decode()
    assert f'href="{reverse("web:report_customer", args=["C-VIP"])}"' in page
