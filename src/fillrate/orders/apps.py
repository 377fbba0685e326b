from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "fillrate.orders"
    label = "orders"
