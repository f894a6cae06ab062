from django.apps import AppConfig


class BenchConfig(AppConfig):
    name = "fangkong.bench"
    label = "bench"
    verbose_name = "Benchmark"
