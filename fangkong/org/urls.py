from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("units/<str:code>/", views.unit_detail, name="unit_detail"),
    path("units/<str:code>/people/", views.roster, name="roster"),
    path("units/<str:code>/people.xlsx", views.roster_export, name="roster_export"),
    path("units/<str:code>/import/", views.import_form, name="import_form"),
    path("units/<str:code>/import/run/", views.import_run, name="import_run"),
]
