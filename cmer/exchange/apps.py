from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "cmer.exchange"
    label = "exchange"
