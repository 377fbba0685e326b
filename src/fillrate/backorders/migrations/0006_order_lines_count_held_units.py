"""Order lines count a backorder's units as `backordered` until they ship,
whether the backorder holds stock for them yet or not (before: units a
backorder held moved to the order line's `allocated`). A receipt that feeds
backorders then leaves the order lines and order statuses alone."""

from collections import defaultdict

from django.db import migrations
from django.db.models import Sum

ACTIVE = ("open", "ready", "partially_fulfilled")


def _move(apps, sign: int) -> None:
    BackorderLine = apps.get_model("backorders", "BackorderLine")
    OrderLine = apps.get_model("orders", "OrderLine")
    SalesOrder = apps.get_model("orders", "SalesOrder")
    held = dict(BackorderLine.objects.filter(backorder__status__in=ACTIVE, allocated__gt=0)
                .values("order_line_id").annotate(n=Sum("allocated"))
                .values_list("order_line_id", "n"))
    if not held:
        return
    from fillrate.orders.status import LineQuantities, derive_order_status

    lines = list(OrderLine.objects.filter(id__in=list(held)))
    for line in lines:
        line.allocated -= sign * held[line.id]
        line.backordered += sign * held[line.id]
    OrderLine.objects.bulk_update(lines, ["allocated", "backordered"], batch_size=1000)
    by_order = defaultdict(list)
    for line in OrderLine.objects.filter(order_id__in={x.order_id for x in lines}):
        by_order[line.order_id].append(line)
    for order in SalesOrder.objects.filter(id__in=list(by_order)):
        new = derive_order_status(
            [LineQuantities(x.quantity, x.allocated, x.shipped, x.backordered, x.cancelled)
             for x in by_order[order.id]],
            on_hold=order.status == "on_hold", cancelled=order.status == "cancelled")
        if new != order.status:
            SalesOrder.objects.filter(id=order.id).update(status=new)


def forward(apps, schema_editor):
    _move(apps, +1)


def backward(apps, schema_editor):
    _move(apps, -1)


class Migration(migrations.Migration):

    dependencies = [
        ("backorders", "0005_split_by_hand"),
        ("orders", "0002_bulk_updates"),
    ]

    operations = [migrations.RunPython(forward, backward)]
