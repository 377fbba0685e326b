from django.apps import AppConfig


class PickingConfig(AppConfig):
    name = "fillrate.picking"
    label = "picking"
