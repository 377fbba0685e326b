from decimal import Decimal

from django.db import models


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
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"
