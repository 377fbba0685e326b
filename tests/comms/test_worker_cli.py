"""`fillrate worker` on the command line: bad arguments exit 2 and change
nothing; `--once` delivers what is due and exits."""

from __future__ import annotations

import pytest

from fillrate.cli import main
from fillrate.comms.models import Notification
from fillrate.orders.services import LineInput
from fillrate.workflows.place_order import place_order

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("argv", [
    ["--batch", "0"], ["--max-attempts", "0"], ["--lease", "0"], ["--backoff", "-1"],
    ["--poll", "0"],
])
def test_bad_arguments_exit_2_and_deliver_nothing(store, smtp, capsys, argv):
    place_order(customer="C-ACME", lines=[LineInput(sku="BOLT", quantity=1)])
    assert main(["worker", "--once", *argv]) == 2
    assert f"{argv[0]} must be at least" in capsys.readouterr().err
    assert Notification.objects.get().status == "queued"
    assert smtp.messages == []


def test_a_word_for_a_number_exits_2(store, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["worker", "--batch", "ten"])
    assert exited.value.code == 2
    assert "invalid int value" in capsys.readouterr().err


def test_once_delivers_what_is_due(store, smtp, capsys):
    place_order(customer="C-ACME", lines=[LineInput(sku="BOLT", quantity=1)])
    assert main(["worker", "--once", "--no-weekly"]) == 0
    assert "sent 1," in capsys.readouterr().out
    assert len(smtp.messages) == 1



def test_the_worker_keeps_the_fill_rate_outcomes_fresh(store, smtp, capsys):
    from fillrate.reports.models import OrderOutcome, OutcomeMark

    placed = place_order(customer="C-ACME", lines=[LineInput(sku="BOLT", quantity=1)])
    assert OutcomeMark.objects.filter(order_id=placed.order.id).exists()
    assert main(["worker", "--once", "--no-weekly"]) == 0
    assert not OutcomeMark.objects.exists()
    assert OrderOutcome.objects.get(order_id=placed.order.id).backordered == 1
