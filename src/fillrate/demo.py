"""`fillrate demo`: a realistic, deterministic demo data set. Running it again
adds nothing that is already there."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from fillrate.accounts.models import User
from fillrate.accounts.permissions import Role
from fillrate.accounts.services import add_user
from fillrate.catalog.models import Product
from fillrate.catalog.services import create_product
from fillrate.customers.models import Customer, SalesRep
from fillrate.customers.services import create_customer, create_sales_rep
from fillrate.fulfilment.models import Fulfillment
from fillrate.inventory.models import Location, StockMovement, Warehouse
from fillrate.inventory.places import create_location, create_warehouse
from fillrate.inventory.services import adjust_stock
from fillrate.orders.models import SalesOrder
from fillrate.orders.services import LineInput
from fillrate.picking.models import Issue, PickRun, Tote
from fillrate.picking.totes import create_tote
from fillrate.workflows.place_order import place_order

# customer, [(sku, quantity)]: several run past the stock and open backorders
DEMO_ORDERS = [
    ("C-BRIGHTON", [("WIN-CAB-750", 24), ("WIN-SHZ-750", 12), ("KIT-OPN-WAI", 6)]),
    ("C-HARBOUR", [("COF-ESP-1KG", 20), ("COF-COL-250", 30), ("TEA-GRN-100", 10)]),
    ("C-CORNER", [("WIN-MER-750", 12), ("WIN-PRO-750", 18)]),
    ("C-GRAPEVINE", [("WIN-SHZ-750", 6), ("WIN-CHP-750", 12), ("KIT-DEC-1L", 2)]),
    ("C-OAKLEAF", [("SNK-OLV-500", 10), ("SNK-CRK-150", 24)]),
    ("C-SILVER", [("SPI-RUM-700", 6), ("SPI-TEQ-700", 6), ("SPI-GIN-700", 6)]),
    ("C-RIVERSIDE", [("COF-HOU-1KG", 10), ("KIT-KET-GOO", 1)]),
    ("C-URBAN", [("TEA-EBR-100", 20), ("TEA-MAT-100", 5)]),
    ("C-BEAN", [("COF-COL-250", 12), ("KIT-TMP-58", 2)]),
    ("C-VINTNER", [("WIN-PIN-750", 30), ("KIT-GLS-RED", 4)]),
    ("C-WHARF", [("SPI-VOD-700", 6), ("KIT-SHK-750", 3)]),
    ("C-GALLERY", [("WIN-RIE-750", 12), ("SNK-CHO-100", 20)]),
]

DEMO_PASSWORD = "fillrate-demo"
DEMO_USERS = [
    ("admin", Role.ADMINISTRATOR),
    ("supervisor", Role.SUPERVISOR),
    ("picker", Role.WAREHOUSE),
    ("sales", Role.SALES),
]

LOCATIONS = [
    ("A-01", "pick", 10), ("A-02", "pick", 20), ("A-03", "pick", 30), ("A-04", "pick", 40),
    ("B-01", "bulk", 100), ("B-02", "bulk", 110),
    ("RECV", "receiving", 900), ("ISSUES", "issues", 999),
]
# The aisles the pick queue filters by: the pick shelves and the bulk racks.
ZONES = {"A-": "A", "B-": "B"}
TOTES = [f"T-{n:03d}" for n in range(1, 9)]

# sku, name, variant, category, price, pick stock, bulk stock
PRODUCTS = [
    ("WIN-CAB-750", "Cabernet Sauvignon", "2021, 750 ml", "Wine", "18.50", 48, 120),
    ("WIN-MER-750", "Merlot", "2022, 750 ml", "Wine", "15.90", 36, 0),
    ("WIN-PIN-750", "Pinot Noir", "2022, 750 ml", "Wine", "22.00", 12, 24),
    ("WIN-SHZ-750", "Shiraz", "2020, 750 ml", "Wine", "19.75", 0, 0),
    ("WIN-CHA-750", "Chardonnay", "2023, 750 ml", "Wine", "16.40", 60, 0),
    ("WIN-SAB-750", "Sauvignon Blanc", "2023, 750 ml", "Wine", "14.20", 72, 96),
    ("WIN-RIE-750", "Riesling", "2022, 750 ml", "Wine", "17.30", 5, 0),
    ("WIN-ROS-750", "Dry Rosé", "2023, 750 ml", "Wine", "13.80", 30, 0),
    ("WIN-PRO-750", "Prosecco", "NV, 750 ml", "Wine", "12.60", 0, 0),
    ("WIN-CHP-750", "Champagne Brut", "NV, 750 ml", "Wine", "42.00", 8, 0),
    ("WIN-CAB-MAG", "Cabernet Sauvignon", "2019, 1.5 l magnum", "Wine", "48.00", 2, 0),
    ("SPI-GIN-700", "London Dry Gin", "700 ml", "Spirits", "32.00", 24, 48),
    ("SPI-VOD-700", "Wheat Vodka", "700 ml", "Spirits", "27.50", 18, 0),
    ("SPI-RUM-700", "Aged Dark Rum", "700 ml", "Spirits", "38.90", 0, 0),
    ("SPI-WHI-700", "Single Malt Whisky", "12 year, 700 ml", "Spirits", "64.00", 6, 12),
    ("SPI-BRB-700", "Kentucky Bourbon", "700 ml", "Spirits", "44.50", 10, 0),
    ("SPI-TEQ-700", "Blanco Tequila", "700 ml", "Spirits", "41.00", 0, 0),
    ("SPI-AMA-700", "Amaro", "700 ml", "Spirits", "35.00", 4, 0),
    ("COF-ESP-1KG", "Espresso Beans", "1 kg", "Coffee", "29.00", 40, 80),
    ("COF-HOU-1KG", "House Blend Beans", "1 kg", "Coffee", "24.50", 55, 0),
    ("COF-DEC-500", "Decaf Beans", "500 g", "Coffee", "16.00", 9, 0),
    ("COF-COL-250", "Colombia Single Origin", "250 g", "Coffee", "12.50", 0, 0),
    ("COF-ETH-250", "Ethiopia Yirgacheffe", "250 g", "Coffee", "14.00", 20, 0),
    ("COF-POD-50", "Espresso Pods", "box of 50", "Coffee", "21.00", 64, 200),
    ("COF-CB-1L", "Cold Brew Concentrate", "1 l", "Coffee", "11.90", 15, 0),
    ("TEA-EBR-100", "English Breakfast", "100 bags", "Tea", "8.90", 80, 0),
    ("TEA-EGR-100", "Earl Grey", "100 bags", "Tea", "9.40", 45, 0),
    ("TEA-GRN-100", "Sencha Green", "100 bags", "Tea", "10.20", 0, 0),
    ("TEA-CHA-250", "Masala Chai", "250 g loose", "Tea", "13.60", 22, 0),
    ("TEA-PEP-50", "Peppermint", "50 bags", "Tea", "6.50", 33, 0),
    ("TEA-MAT-100", "Ceremonial Matcha", "100 g", "Tea", "34.00", 3, 0),
    ("TEA-ROO-100", "Rooibos", "100 bags", "Tea", "8.20", 27, 0),
    ("KIT-FRN-8", "French Press", "8 cup", "Kitchenware", "39.00", 14, 20),
    ("KIT-FRN-3", "French Press", "3 cup", "Kitchenware", "29.00", 7, 0),
    ("KIT-GRD-BUR", "Burr Grinder", "electric", "Kitchenware", "129.00", 5, 0),
    ("KIT-KET-GOO", "Gooseneck Kettle", "1 l, electric", "Kitchenware", "89.00", 0, 0),
    ("KIT-DEC-1L", "Wine Decanter", "1 l crystal", "Kitchenware", "54.00", 11, 0),
    ("KIT-GLS-RED", "Red Wine Glasses", "set of 6", "Kitchenware", "46.00", 16, 30),
    ("KIT-GLS-WHT", "White Wine Glasses", "set of 6", "Kitchenware", "44.00", 13, 0),
    ("KIT-OPN-WAI", "Waiter's Corkscrew", "", "Kitchenware", "12.00", 90, 0),
    ("KIT-SHK-750", "Cocktail Shaker", "750 ml", "Kitchenware", "26.00", 0, 0),
    ("KIT-JIG-DBL", "Double Jigger", "30/60 ml", "Kitchenware", "9.50", 40, 0),
    ("KIT-TMP-58", "Espresso Tamper", "58 mm", "Kitchenware", "24.00", 6, 0),
    ("KIT-MLK-600", "Milk Jug", "600 ml", "Kitchenware", "18.00", 21, 0),
    ("SNK-OLV-500", "Marinated Olives", "500 g jar", "Pantry", "9.80", 36, 0),
    ("SNK-ALM-250", "Smoked Almonds", "250 g", "Pantry", "7.40", 50, 0),
    ("SNK-CRK-150", "Sea Salt Crackers", "150 g", "Pantry", "4.90", 0, 0),
    ("SNK-CHO-100", "Dark Chocolate 70%", "100 g", "Pantry", "5.60", 75, 0),
    ("SNK-BIS-200", "Almond Biscotti", "200 g", "Pantry", "6.30", 19, 0),
    ("SNK-SYR-750", "Vanilla Syrup", "750 ml", "Pantry", "13.00", 8, 0),
]
DISCONTINUED = {"WIN-CAB-MAG"}

SALES_REPS = [("REP-ANNA", "Anna Kowalski", "anna@example.com"),
              ("REP-BEN", "Ben Okafor", "ben@example.com"),
              ("REP-CHLOE", "Chloe Martin", "chloe@example.com")]

# code, name, vip, rep, terms, city
CUSTOMERS = [
    ("C-BRIGHTON", "Brighton Bistro", True, "REP-ANNA", "Net 30", "Brighton"),
    ("C-CORNER", "Corner Cellar", False, "REP-ANNA", "Net 14", "Leeds"),
    ("C-HARBOUR", "Harbour Hotel Group", True, "REP-BEN", "Net 45", "Bristol"),
    ("C-OAKLEAF", "Oakleaf Deli", False, "REP-CHLOE", "Prepaid", "York"),
    ("C-RIVERSIDE", "Riverside Café", False, "REP-ANNA", "Net 14", "Oxford"),
    ("C-GRAPEVINE", "The Grapevine", True, "REP-CHLOE", "Net 30", "Bath"),
    ("C-NORTHSTAR", "Northstar Catering", False, "REP-BEN", "Net 30", "Newcastle"),
    ("C-PEPPER", "Pepper & Pine", False, "REP-CHLOE", "Net 14", "Cambridge"),
    ("C-SILVER", "Silver Spoon Restaurant", True, "REP-BEN", "Net 30", "Manchester"),
    ("C-TOWNHALL", "Town Hall Events", False, "REP-ANNA", "Net 60", "Birmingham"),
    ("C-URBAN", "Urban Grocer", False, "REP-CHLOE", "Net 14", "Liverpool"),
    ("C-VINTNER", "The Vintner's Table", True, "REP-ANNA", "Net 30", "Winchester"),
    ("C-WHARF", "Wharf Street Bar", False, "REP-BEN", "Net 14", "Glasgow"),
    ("C-BEAN", "Bean There Coffee", False, "REP-CHLOE", "Prepaid", "Norwich"),
    ("C-COPPER", "Copper Kettle Tearoom", False, "REP-ANNA", "Net 14", "Exeter"),
    ("C-EMBER", "Ember Grill", False, "REP-BEN", "Net 30", "Cardiff"),
    ("C-FERN", "Fern & Field Farm Shop", False, "REP-CHLOE", "Net 14", "Hereford"),
    ("C-GALLERY", "Gallery Kitchen", True, "REP-BEN", "Net 30", "Edinburgh"),
    ("C-HOLLOW", "Hollow Oak Inn", False, "REP-ANNA", "Net 30", "Kendal"),
    ("C-IVY", "Ivy Lane Wines", False, "REP-CHLOE", "Net 30", "Canterbury"),
]


# What the summary counts by rows made (orders and purchasing add some too).
FLOOR_ROWS = {"fulfillments": Fulfillment, "pick runs": PickRun, "issues": Issue}


def _slug(code: str) -> str:
    return code.split("-", 1)[1].lower()


@transaction.atomic
def load_demo() -> str:
    added: dict[str, int] = {"users": 0, "locations": 0, "products": 0, "customers": 0,
                             "orders": 0, "stock adjustments": 0, "totes": 0,
                             "fulfillments": 0, "pick runs": 0, "issues": 0}
    for username, role in DEMO_USERS:
        if not User.objects.filter(username=username).exists():
            add_user(username=username, role=role, password=DEMO_PASSWORD)
            added["users"] += 1

    warehouse = Warehouse.objects.filter(code="MAIN").first() or create_warehouse(
        code="MAIN", name="Main warehouse")
    by_code = {}
    for code, kind, seq in LOCATIONS:
        location = Location.objects.filter(warehouse=warehouse, code=code).first()
        if location is None:
            location = create_location(warehouse_id=warehouse.id, code=code, kind=kind,
                                       pick_sequence=seq, zone=ZONES.get(code[:2], ""))
            added["locations"] += 1
        by_code[code] = location


    pick_codes = [c for c, kind, _ in LOCATIONS if kind == "pick"]
    for i, (sku, name, variant, category, price, pick_qty, bulk_qty) in enumerate(PRODUCTS):
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            product = create_product(
                sku=sku, name=name, variant=variant, category=category,
                list_price=Decimal(price), upc=f"0{7_500_000_000 + i * 7919:011d}"[:12],
                discontinued=sku in DISCONTINUED,
            )
            added["products"] += 1
        if StockMovement.objects.filter(product=product).exists():
            continue
        for qty, location in ((pick_qty, by_code[pick_codes[i % len(pick_codes)]]),
                              (bulk_qty, by_code["B-01" if i % 2 else "B-02"])):
            if qty:
                adjust_stock(product_id=product.id, location_id=location.id, quantity=qty,
                             reason="count", note="opening stock count")
                added["stock adjustments"] += 1

    for code, name, email in SALES_REPS:
        if not SalesRep.objects.filter(code=code).exists():
            create_sales_rep(code=code, name=name, email=email)
    for n, (code, name, vip, rep, terms, city) in enumerate(CUSTOMERS, start=1):
        if not Customer.objects.filter(code=code).exists():
            create_customer(
                code=code, name=name, vip=vip, sales_rep=rep, payment_terms=terms,
                email=f"orders@{_slug(code)}.example.com", phone=f"+44 20 7946 {n:04d}",
                delivery_address=f"{n * 7} High Street\n{city}",
            )
            added["customers"] += 1

    for code in TOTES:
        if not Tote.objects.filter(code=code).exists():
            create_tote(code=code, warehouse=warehouse.code)
            added["totes"] += 1

    if not SalesOrder.objects.exists():
        before = {what: model.objects.count() for what, model in FLOOR_ROWS.items()}
        added["orders"] = _demo_orders()
        _demo_floor()
        for what, model in FLOOR_ROWS.items():
            added[what] = model.objects.count() - before[what]

    # "1 pick run", "2 pick runs" (every key is a plural in s)
    parts = ", ".join(f"{n} {what[:-1] if n == 1 else what}" for what, n in added.items())
    return (f"demo data loaded (added {parts}); log in as admin, supervisor, picker or "
            f"sales with password {DEMO_PASSWORD!r}")


def _demo_orders() -> int:
    """Orders placed through the real workflow, so their backorders are real;
    then a few backorders get dates, priorities, a call and a cancellation."""
    import datetime as dt

    from django.utils import timezone

    from fillrate.backorders.models import Backorder
    from fillrate.backorders.services import cancel_backorder, log_communication, update_backorder
    from fillrate.core.business import change_settings
    from fillrate.core.models import Event

    admin = User.objects.get(username="sales")
    now = timezone.now()
    # Who the customer's choice page tells customers to contact.
    change_settings(changes={"shop_name": "Demo Wine & Pantry",
                             "contact_email": "orders@demo-wine-pantry.example.com",
                             "contact_phone": "+44 20 7946 0000"})
    for k, (customer, lines) in enumerate(DEMO_ORDERS):
        placed_order = place_order(customer=customer, actor_id=admin.id,
                                   lines=[LineInput(sku, qty) for sku, qty in lines])
        # Spread the orders over the last six weeks so aging and flags mean
        # something; an order's backorders and their first events are dated
        # with the order (they were opened in the same transaction).
        placed = now - dt.timedelta(days=44 - k * 3.5)
        order = placed_order.order
        numbers = [order.number, *(b.number for b in placed_order.backorders)]
        SalesOrder.objects.filter(id=order.id).update(created_at=placed)
        Backorder.objects.filter(order_id=order.id).update(created_at=placed)
        Event.objects.filter(subject__in=numbers).update(created_at=placed)
    today = timezone.localdate()
    backorders = list(Backorder.objects.order_by("id"))
    for i, backorder in enumerate(backorders):
        # Most dates come from the purchase orders below; a few were agreed by
        # hand, never before the backorder was opened.
        agreed = max(today + dt.timedelta(days=(i % 5) * 6 - 5),
                     timezone.localtime(backorder.created_at).date() + dt.timedelta(days=3))
        changes = {"expected_date": agreed} if i % 3 == 2 else {}
        if i % 4 == 1:
            changes["priority"] = "high"
        if changes:
            update_backorder(number=backorder.number, changes=changes, actor_id=admin.id)
    if backorders:
        log_communication(number=backorders[0].number, method="phone", actor_id=admin.id,
                          summary="Customer happy to wait; call when the Shiraz lands.",
                          preference="wait", agreed="Wait for the next Shiraz delivery.",
                          next_follow_up=today + dt.timedelta(days=7))
        cancel_backorder(number=backorders[-1].number, reason="customer_requested",
                         notes="Found it elsewhere.", actor_id=admin.id)
    _demo_purchasing(admin_id=User.objects.get(username="admin").id)
    return len(DEMO_ORDERS)


# supplier code, name, lead time, status, days until due, [(sku, quantity)]
DEMO_PURCHASES = [
    ("SUP-VINO", "Vino Imports", 14, "ordered", 5,
     [("WIN-SHZ-750", 18), ("WIN-PRO-750", 24), ("WIN-CHP-750", 12)]),
    ("SUP-BEAN", "Bean & Leaf Traders", 7, "ordered", 9,
     [("COF-COL-250", 50), ("TEA-GRN-100", 10), ("TEA-MAT-100", 6)]),
    ("SUP-PANTRY", "Pantry Wholesale", 10, "draft", 12,
     [("SNK-CRK-150", 30), ("KIT-SHK-750", 6)]),
]


def _demo_purchasing(*, admin_id: int) -> None:
    """Suppliers and purchase orders that promise stock to the backorders
    (giving them expected dates); the Shiraz has arrived, so the oldest
    backorder was fulfilled and dispatched and the next one can ship."""
    import datetime as dt

    from django.utils import timezone

    from fillrate.backorders.models import Backorder
    from fillrate.purchasing.services import PurchaseLineInput, create_supplier
    from fillrate.workflows.dispatch import dispatch_fulfillment
    from fillrate.workflows.fulfil import fulfil_backorder
    from fillrate.workflows.purchase_orders import create_purchase_order
    from fillrate.workflows.receive import ReceiptLineInput, receive_purchase_order

    today = timezone.localdate()
    numbers = []
    for code, name, lead, status, days, lines in DEMO_PURCHASES:
        create_supplier(code=code, name=name, email=f"orders@{_slug(code)}.example.com",
                        lead_time_days=lead)
        numbers.append(create_purchase_order(
            supplier=code, status=status, expected_date=today + dt.timedelta(days=days),
            lines=[PurchaseLineInput(sku, qty) for sku, qty in lines], actor_id=admin_id,
        ).number)
    receipt = receive_purchase_order(number=numbers[0], lines=[ReceiptLineInput("WIN-SHZ-750", 18)],
                                     actor_id=admin_id)
    ready = [a.backorder for a in receipt.allocations
             if Backorder.objects.get(id=int(a.backorder.split("-")[1])).status == "ready"]
    if ready:
        shipped = fulfil_backorder(number=ready[0], actor_id=admin_id)
        dispatch_fulfillment(number=shipped.number, carrier="DPD",
                             tracking_number="15501234567890", actor_id=admin_id)


def _demo_floor() -> None:
    """The warehouse floor at work, through its own services: every order's
    allocated units are queued for picking (the pick workflow on) and one
    waits on a supervisor's hold. The picker's first run is done: its
    fulfillment was picked into a tote and packed (the tote is free again)
    and waits for dispatch. Their second run, of the next three in the
    queue, is under way: one fulfillment picked into its tote and ready to
    pack, one half picked, and one with the rest picked but two units
    missing, its tote on the issues wall for the supervisor."""
    from fillrate.core.business import change_settings
    from fillrate.picking.selectors import pick_queue, run_detail
    from fillrate.picking.services import (
        create_pick_run,
        hold_fulfillment,
        mark_missing,
        pack_tote,
        record_pick,
    )
    from fillrate.workflows.fulfil import fulfil_order

    supervisor = User.objects.get(username="supervisor")
    picker = User.objects.get(username="picker")
    change_settings(changes={"pick_workflow": "on"}, actor_id=supervisor.id)
    for order in SalesOrder.objects.order_by("id"):
        if order.lines.filter(allocated__gt=0).exists():
            fulfil_order(number=order.number, actor_id=supervisor.id)
    queued = [f.number for f in pick_queue()]
    hold_fulfillment(number=queued[-1], actor_id=supervisor.id,
                     reason="Customer asked us to deliver after their stocktake on Friday.")

    def start(size: int) -> tuple[str, list[str], dict[str, list]]:
        """A run of the first `size` of the queue for the picker: its number,
        fulfillments and each one's steps of the pick path."""
        run = create_pick_run(max_fulfillments=size, picker=picker.username,
                              actor_id=picker.id)
        detail = run_detail(run.number)
        members = [m.fulfillment for m in detail.members]
        return run.number, members, {
            n: [s for s in detail.path if s.fulfillment == n and s.location_id]
            for n in members}

    def pick(run: str, number: str, step, quantity: int, tote: str) -> None:
        record_pick(run=run, fulfillment=number, sku=step.sku, location=step.location,
                    quantity=quantity, tote=tote, actor_id=picker.id)

    run, (packed,), steps = start(1)
    for step in steps[packed]:
        pick(run, packed, step, step.remaining, TOTES[0])
    pack_tote(code=TOTES[0], actor_id=picker.id)

    run, (short, done, half), steps = start(3)
    for step in steps[done]:
        pick(run, done, step, step.remaining, TOTES[2])
    first = steps[half][0]
    pick(run, half, first, max(1, first.remaining // 2), TOTES[3])
    *found, last = steps[short]
    for step in found:
        pick(run, short, step, step.remaining, TOTES[1])
    missing = min(2, last.remaining)
    if last.remaining > missing:
        pick(run, short, last, last.remaining - missing, TOTES[1])
    mark_missing(fulfillment=short, sku=last.sku, quantity=missing, location=last.location,
                 actor_id=picker.id)
