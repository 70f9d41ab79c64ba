from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "cmer.referrals"
    label = "referrals"
