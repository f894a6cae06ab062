from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "fangkong.ledger"
    label = "ledger"
    verbose_name = "Ledger"
