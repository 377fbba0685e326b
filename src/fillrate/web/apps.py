from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fillrate.web"
    label = "web"
