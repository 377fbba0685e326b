from django.apps import AppConfig


class BackordersConfig(AppConfig):
    name = "fillrate.backorders"
    label = "backorders"
