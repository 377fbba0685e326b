from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "fillrate.catalog"
    label = "catalog"
