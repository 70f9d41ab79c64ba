from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "cmer.privacy"
    label = "privacy"
