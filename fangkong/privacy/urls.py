from django.urls import path

from . import views

urlpatterns = [
    path("people/<str:employee_no>/reveal/", views.reveal_form, name="privacy_reveal_form"),
    path("people/<str:employee_no>/reveal/run/", views.reveal, name="privacy_reveal"),
    path("access-log/", views.access_log, name="privacy_access_log"),
    path("access-log.xlsx", views.access_log_export, name="privacy_access_log_export"),
]
