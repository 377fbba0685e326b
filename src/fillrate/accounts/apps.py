from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fillrate.accounts"
    label = "accounts"
