from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cmer.cases"
    label = "cases"
