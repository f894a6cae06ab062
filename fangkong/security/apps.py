from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "fangkong.security"
    label = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import checks  # noqa: F401  (registers the deploy checks)
        from .middleware import start_session_clock

        user_logged_in.connect(start_session_clock, dispatch_uid="fangkong.security.session_clock")
