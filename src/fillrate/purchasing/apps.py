from django.apps import AppConfig


class PurchasingConfig(AppConfig):
    name = "fillrate.purchasing"
    label = "purchasing"
