from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "fillrate.api"
    label = "api"
