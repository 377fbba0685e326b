from decimal import Decimal

from django.db import models
from django.db.models.functions import Upper


class Product(models.Model):
    sku = models.CharField(max_length=64, unique=True)
    upc = models.CharField(max_length=32, blank=True)
    name = models.CharField(max_length=200)
    variant = models.CharField(max_length=100, blank=True)
    category = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    list_price = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    discontinued = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=models.Q(list_price__gte=0),
                                   name="product_list_price_not_negative"),
            # One SKU in any case: `abc-1` and `ABC-1` are one product, and
            # lookups match whatever the case typed.
            models.UniqueConstraint(Upper("sku"), name="product_sku_unique_any_case"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"
