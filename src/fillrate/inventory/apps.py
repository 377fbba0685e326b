from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "fillrate.inventory"
    label = "inventory"
