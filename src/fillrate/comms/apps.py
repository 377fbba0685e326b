from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "fillrate.comms"
    label = "comms"
