from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "cmer.training"
    label = "training"
