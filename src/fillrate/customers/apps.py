from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "fillrate.customers"
    label = "customers"
