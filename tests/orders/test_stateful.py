"""Random sequences of order-core operations keep every invariant.

A hypothesis state machine places and cancels orders, splits lines onto
backorders, cancels backorders (whole or some units), hands stock to
backorders the way a receipt will, adjusts stock up and down, holds,
releases and resolves oversold orders. After every step the database-wide
checks of `fillrate.workflows.invariants` must find nothing, each order's
stored status must be the one its lines imply, and on-hand stock must be
exactly what the adjustments put there.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from fillrate.backorders import lifecycle
from fillrate.backorders.models import Backorder, BackorderLine, Communication
from fillrate.backorders.services import CancelLine
from fillrate.catalog.models import Product
from fillrate.core.business import change_settings
from fillrate.core.errors import Conflict, InvalidValue
from fillrate.core.models import Event, Setting
from fillrate.inventory.models import SELLABLE_KINDS, Location, StockLevel, StockMovement
from fillrate.orders.models import Allocation, OrderLine, SalesOrder
from fillrate.orders.services import LineInput
from fillrate.orders.status import LineQuantities, derive_order_status
from fillrate.workflows.adjust_stock import adjust_stock_and_feed
from fillrate.workflows.cancel_backorder import cancel_backorder_and_feed
from fillrate.workflows.cancel_order import cancel_order
from fillrate.workflows.invariants import all_problems
from fillrate.workflows.oversold import hold_order, release_order, resolve_oversold
from fillrate.workflows.place_order import place_order
from fillrate.workflows.split_order import SplitLine, backorder_order_lines
from tests.factories import CustomerFactory, LocationFactory, ProductFactory
from tests.orders.support import allocate_to_backorder

SKUS = ("ST-A", "ST-B", "ST-C", "ST-D")
CUSTOMERS = ("ST-C1", "ST-C2")
REASONS = ("customer_requested", "product_discontinued", "unable_to_fulfil", "excessive_delay")
# What happens to an order or a backorder, some more often than others.
ORDER_ACTIONS = ("split", "split", "split", "resolve_backorder", "resolve_wait",
                 "resolve_cancel", "release", "hold", "cancel_order")
BACKORDER_ACTIONS = ("cancel_backorder", "cancel_some_of_a_backorder",
                     "cancel_some_of_a_backorder", "stock_reaches_a_backorder",
                     "stock_reaches_a_backorder")


def reset_order_data() -> None:
    """Empty everything the machine writes (products, customers and
    locations stay)."""
    for model in (Communication, BackorderLine, Backorder, Allocation, OrderLine, SalesOrder,
                  Event, Setting, StockMovement, StockLevel):
        model.objects.all().delete()


class OrderCore(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        reset_order_data()
        self.products = {p.sku: p.id for p in Product.objects.filter(sku__in=SKUS)}
        self.locations = list(Location.objects.filter(code__in=("ST-PICK", "ST-BULK"))
                              .order_by("pick_sequence").values_list("id", flat=True))
        self.on_hand: Counter[str] = Counter()
        self.orders: list[str] = []

    @initialize(start=st.lists(st.integers(0, 12), min_size=len(SKUS), max_size=len(SKUS)))
    def put_stock(self, start):
        for sku, quantity in zip(SKUS, start, strict=True):
            if quantity:
                self._adjust(sku, self.locations[0], quantity)

    def _adjust(self, sku, location_id, quantity) -> bool:
        try:
            adjust_stock_and_feed(product_id=self.products[sku], location_id=location_id,
                                  quantity=quantity, reason="correction")
        except Conflict as e:
            assert quantity < 0 and e.code == "inventory.insufficient_stock"
            return False
        self.on_hand[sku] += quantity
        return True

    def an_order(self):
        """One of the latest orders, so that steps meet on the same order often."""
        return st.sampled_from(self.orders[-2:])

    # -- rules -------------------------------------------------------------

    @rule(
        customer=st.sampled_from(CUSTOMERS),
        lines=st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 8)), min_size=1,
                       max_size=4, unique_by=lambda x: x[0]),
        policy=st.sampled_from(("backorder", "hold", "reject")),
        hold=st.integers(0, 5).map(lambda n: n == 0),
        partial=st.booleans(),
    )
    def place(self, customer, lines, policy, hold, partial):
        change_settings(changes={"oversell_policy": policy, "partial_shipments": partial})
        try:
            placed = place_order(customer=customer, hold=hold,
                                 lines=[LineInput(sku, q) for sku, q in lines])
        except Conflict as e:
            assert policy == "reject" and e.code == "orders.insufficient_stock"
            return
        self.orders.append(placed.order.number)
        for line, (_, quantity) in zip(placed.lines, lines, strict=True):
            assert line.quantity == quantity
            assert line.allocated + line.backordered + line.unallocated == quantity
            if policy != "hold":
                assert line.unallocated == 0
            if policy != "backorder":
                assert line.backordered == 0

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), action=st.sampled_from(ORDER_ACTIONS))
    def change_an_order(self, data, action):
        number = data.draw(self.an_order())
        getattr(self, action)(data, number)

    @precondition(lambda self: Backorder.objects.exists())
    @rule(data=st.data(), action=st.sampled_from(BACKORDER_ACTIONS))
    def change_a_backorder(self, data, action):
        backorder = data.draw(st.sampled_from(list(Backorder.objects.order_by("-id")[:3])))
        getattr(self, action)(data, backorder)

    @rule(sku=st.sampled_from(SKUS), quantity=st.integers(-8, 10).filter(bool),
          where=st.integers(0, 1))
    def adjust(self, sku, quantity, where):
        self._adjust(sku, self.locations[where], quantity)

    # -- what the rules do -------------------------------------------------------

    def cancel_order(self, data, number):
        try:
            cancel_order(number=number)
        except Conflict as e:
            assert e.code == "orders.invalid_transition"
            return
        for line in OrderLine.objects.filter(order_id=int(number[3:])):
            assert (line.allocated, line.backordered, line.unallocated) == (0, 0, 0)
        assert not Backorder.objects.filter(order_id=int(number[3:]),
                                            status__in=lifecycle.ACTIVE).exists()

    def split(self, data, number):
        lines = list(OrderLine.objects.filter(order_id=int(number[3:])).order_by("line_no"))
        line = data.draw(st.sampled_from(lines))
        quantity = data.draw(st.integers(1, 6))
        try:
            backorder_order_lines(number=number, lines=[SplitLine(line.id, quantity)])
        except InvalidValue as e:
            assert e.code == "orders.quantity_exceeds_line"
            return
        except Conflict as e:
            assert e.code == "orders.closed"
            return
        after = OrderLine.objects.get(id=line.id)
        assert after.backordered == line.backordered + quantity
        assert after.allocated == line.allocated - max(0, quantity - line.unallocated)

    def _resolve(self, number, action):
        try:
            if action == "release":
                release_order(number=number)
            else:
                resolve_oversold(number=number, action=action)
        except Conflict as e:
            assert e.code in ("orders.not_oversold", "orders.invalid_transition")
            return
        order = SalesOrder.objects.get(id=int(number[3:]))
        assert order.status != "on_hold"
        assert not any(x.unallocated for x in order.lines.all())

    def resolve_backorder(self, data, number):
        self._resolve(number, "backorder")

    def resolve_cancel(self, data, number):
        self._resolve(number, "cancel")

    def resolve_wait(self, data, number):
        self._resolve(number, "wait")

    def release(self, data, number):
        self._resolve(number, "release")

    def hold(self, data, number):
        try:
            hold_order(number=number)
        except Conflict as e:
            assert e.code == "orders.invalid_transition"

    def cancel_backorder(self, data, backorder, *, whole=True):
        lines = None
        if not whole:
            skus = list(backorder.lines.values_list("product__sku", flat=True))
            lines = data.draw(st.lists(st.builds(CancelLine, st.sampled_from(skus),
                                                 st.none() | st.integers(1, 4)),
                                       min_size=1, max_size=2))
        reason = data.draw(st.sampled_from(REASONS))
        try:
            cancel_backorder_and_feed(number=backorder.number, reason=reason, lines=lines)
        except Conflict as e:
            assert backorder.status in lifecycle.TERMINAL
            assert e.code == "backorders.invalid_transition"
            return
        except InvalidValue as e:
            assert e.code == "backorders.invalid_quantity"
            return
        backorder.refresh_from_db()
        if whole:
            assert backorder.status == "cancelled"

    def cancel_some_of_a_backorder(self, data, backorder):
        self.cancel_backorder(data, backorder, whole=False)

    def stock_reaches_a_backorder(self, data, backorder):
        """What a receipt will do: free stock goes to a waiting backorder line."""
        waiting = [bl for bl in backorder.lines.select_related("product") if bl.waiting]
        if backorder.status not in lifecycle.ACTIVE or not waiting:
            return
        bl = data.draw(st.sampled_from(waiting))
        free = sum(lv.free for lv in StockLevel.objects.filter(
            product_id=bl.product_id, location__kind__in=SELLABLE_KINDS))
        quantity = min(free, bl.waiting)
        if quantity:
            allocate_to_backorder(backorder.number, bl.product.sku, quantity)

    # -- after every step ------------------------------------------------------

    @invariant()
    def quantities_add_up(self):
        assert all_problems() == []

    @invariant()
    def stored_order_status_is_what_the_lines_say(self):
        for order in SalesOrder.objects.prefetch_related("lines"):
            lines = list(order.lines.all())
            derived = derive_order_status(
                LineQuantities(x.quantity, x.allocated, x.shipped, x.backordered, x.cancelled)
                for x in lines)
            if order.status not in ("on_hold", "cancelled"):
                assert order.status == derived, (order.number, order.status, derived)
            if order.status == "cancelled":
                assert all(x.allocated == x.backordered == x.unallocated == 0 for x in lines)

    @invariant()
    def on_hand_is_what_the_adjustments_put_there(self):
        rows = dict(StockLevel.objects.values("product__sku").annotate(n=Sum("on_hand"))
                    .values_list("product__sku", "n"))
        assert {sku: rows.get(sku, 0) for sku in SKUS} == {sku: self.on_hand[sku]
                                                           for sku in SKUS}


@pytest.mark.django_db(transaction=True)
def test_random_sequences_of_order_operations_keep_the_invariants():
    for i, sku in enumerate(SKUS):
        ProductFactory(sku=sku, list_price=f"{i + 1}.00")
    for code in CUSTOMERS:
        CustomerFactory(code=code)
    LocationFactory(code="ST-PICK", kind="pick", pick_sequence=1)
    LocationFactory(code="ST-BULK", kind="bulk", pick_sequence=50)
    # Deterministic and quick by default; FILLRATE_STATEFUL_EXAMPLES=300 runs a
    # longer random search (new sequences each run).
    examples = int(os.environ.get("FILLRATE_STATEFUL_EXAMPLES", "0"))
    run_state_machine_as_test(OrderCore, settings=settings(
        max_examples=examples or 30, stateful_step_count=25, deadline=None,
        derandomize=not examples, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                               HealthCheck.data_too_large],
    ))
