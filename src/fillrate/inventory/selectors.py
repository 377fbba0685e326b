"""Read queries over stock."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import (
    Count,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from fillrate.catalog.models import Product
from fillrate.core.errors import Conflict, InvalidValue, NotFound
from fillrate.inventory.models import (
    SELLABLE_KINDS,
    Location,
    LocationKind,
    StockLevel,
    StockMovement,
    Warehouse,
)


def _stock_sum(expression: str, *, sellable_only: bool = False) -> Subquery:
    levels = StockLevel.objects.filter(product_id=OuterRef("pk"))
    if sellable_only:
        levels = levels.filter(location__kind__in=SELLABLE_KINDS)
    return Coalesce(
        Subquery(
            levels.values("product_id").annotate(total=Sum(expression)).values("total")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def products_with_stock(*, search: str = "", category: str = "",
                        discontinued: bool | None = None) -> QuerySet[Product]:
    """Products annotated with their stock: `on_hand`, `allocated`,
    `available` (sellable locations only, never negative).
    `fillrate.backorders.selectors.products_with_figures` adds `backordered`
    and `incoming` (purchasing sits above inventory); interfaces use that one."""
    from django.db.models import F

    qs = Product.objects.annotate(
        on_hand=_stock_sum("on_hand"),
        allocated=_stock_sum("allocated"),
        available=_stock_sum(F("on_hand") - F("allocated"), sellable_only=True),
    ).order_by("sku")
    if search:
        qs = qs.filter(Q(sku__icontains=search) | Q(name__icontains=search)
                       | Q(upc=search) | Q(category__icontains=search))
    if category:
        qs = qs.filter(category=category)
    if discontinued is not None:
        qs = qs.filter(discontinued=discontinued)
    return qs


def product_with_stock(sku: str, *, field: str = "sku") -> Product:
    product = products_with_stock().filter(sku__iexact=sku.strip()).first()
    if product is None:
        raise NotFound("catalog.unknown_sku", f"no product with SKU {sku!r}", field=field)
    return product


def stock_by_location(*, product_id: int) -> list[StockLevel]:
    return list(
        StockLevel.objects.filter(product_id=product_id)
        .select_related("location", "location__warehouse")
        .order_by("location__warehouse_id", "location__pick_sequence", "location__code")
    )


def recent_movements(*, product_id: int, limit: int = 20) -> list[StockMovement]:
    return list(
        StockMovement.objects.filter(product_id=product_id)
        .select_related("location", "actor")
        .order_by("-id")[:limit]
    )


def movements(*, sku: str | None = None) -> QuerySet[StockMovement]:
    qs = StockMovement.objects.select_related("product", "location", "actor").order_by("-id")
    if sku:
        qs = qs.filter(product__sku__iexact=sku.strip())
    return qs


def location_by_code(code: str, *, field: str = "location") -> Location:
    location = Location.objects.filter(code=code).select_related("warehouse").first()
    if location is None:
        raise NotFound("inventory.unknown_location", f"no location {code!r}", field=field)
    return location


def location_for_new_stock(code: str, *, field: str = "location") -> Location:
    """A location named to receive or adjust stock into: it must exist (404
    `inventory.unknown_location`) and be active (409
    `inventory.location_inactive`)."""
    location = location_by_code(code, field=field)
    if not location.active:
        raise Conflict("inventory.location_inactive",
                       f"location {location.code} is inactive: choose another or reactivate it",
                       field=field)
    return location


def location_in(warehouse: str, code: str) -> Location:
    """One location addressed by its warehouse code and its own code."""
    location = (Location.objects.select_related("warehouse")
                .filter(warehouse__code=warehouse, code=code).first())
    if location is None:
        raise NotFound("inventory.unknown_location", f"no location {code!r} in {warehouse!r}",
                       field="location")
    return location


def receiving_location() -> Location | None:
    """Where received stock goes when no location is named: the first active
    `receiving` location (by warehouse, then pick sequence)."""
    return (Location.objects.filter(kind=LocationKind.RECEIVING, active=True)
            .select_related("warehouse").order_by("warehouse_id", "pick_sequence", "id").first())


def locations(*, warehouse: str | None = None, kind: str | None = None,
              active: bool | None = None) -> QuerySet[Location]:
    qs = Location.objects.select_related("warehouse").order_by(
        "warehouse_id", "pick_sequence", "code")
    if warehouse:
        qs = qs.filter(warehouse__code=warehouse)
    if kind:
        if kind not in LocationKind.values:
            raise InvalidValue("inventory.unknown_location_kind",
                               f"kind must be one of {', '.join(LocationKind.values)}",
                               field="kind")
        qs = qs.filter(kind=kind)
    else:
        # A tote's place is listed with the totes, not with the locations.
        qs = qs.exclude(kind=LocationKind.TOTE)
    if active is not None:
        qs = qs.filter(active=active)
    return qs


def locations_with_stock(**filters) -> QuerySet[Location]:
    """`locations(...)` with `on_hand`: the units each holds now."""
    return locations(**filters).annotate(on_hand=Coalesce(Sum("stock_levels__on_hand"), 0))


def warehouses() -> QuerySet[Warehouse]:
    return Warehouse.objects.annotate(location_count=Count("locations")).order_by("code")


def warehouse_by_code(code: str, *, field: str = "warehouse") -> Warehouse:
    warehouse = warehouses().filter(code=code).first()
    if warehouse is None:
        raise NotFound("inventory.unknown_warehouse", f"no warehouse {code!r}", field=field)
    return warehouse


@dataclass(frozen=True)
class LedgerMismatch:
    sku: str
    location: str
    on_hand: int
    ledger: int


def ledger_mismatches() -> list[LedgerMismatch]:
    """Stock levels whose on-hand differs from the sum of their movements,
    and movement sums with no stock level at all."""
    sums = {
        (row["product_id"], row["location_id"]): row["total"]
        for row in StockMovement.objects.values("product_id", "location_id").annotate(
            total=Sum("quantity"))
    }
    out: list[LedgerMismatch] = []
    for level in StockLevel.objects.select_related("product", "location").order_by(
            "product_id", "location_id"):
        ledger = sums.pop((level.product_id, level.location_id), 0)
        if ledger != level.on_hand:
            out.append(LedgerMismatch(level.product.sku, level.location.code, level.on_hand,
                                      ledger))
    for (product_id, location_id), total in sorted(sums.items()):
        if total:
            product = Product.objects.get(id=product_id)
            location = Location.objects.get(id=location_id)
            out.append(LedgerMismatch(product.sku, location.code, 0, total))
    return out


def stock_constraint_violations() -> list[StockLevel]:
    """Stock levels breaking 0 <= allocated <= on_hand (the CHECKs forbid it;
    this is the report's second opinion)."""
    from django.db.models import F

    return list(StockLevel.objects.filter(
        Q(on_hand__lt=0) | Q(allocated__lt=0) | Q(allocated__gt=F("on_hand"))))
