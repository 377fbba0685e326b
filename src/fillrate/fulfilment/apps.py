from django.apps import AppConfig


class FulfilmentConfig(AppConfig):
    name = "fillrate.fulfilment"
    label = "fulfilment"
