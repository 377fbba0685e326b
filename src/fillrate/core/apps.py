from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fillrate.core"
    label = "core"
