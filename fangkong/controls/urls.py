"""Pages of the risk levels and control plans module."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="controls_home"),
    path("regions/", views.regions, name="controls_regions"),
    path("regions/set/", views.region_set, name="controls_region_set"),
    path("regions/import/", views.region_import, name="controls_region_import"),
    path("regions/<str:region_code>/", views.region, name="controls_region"),
    path("policy/", views.policy, name="controls_policy"),
    path("policy/publish/", views.policy_publish, name="controls_policy_publish"),
    path("units/<str:code>/operations/", views.operations, name="controls_operations"),
    path("units/<str:code>/rescreen/", views.rescreens, name="controls_rescreens"),
    path("units/<str:code>/", views.plan, name="controls_plan"),
    path("units/<str:code>/attest/<str:measure>/", views.attest, name="controls_attest"),
    path("units/<str:code>/evidence/<int:version>/<str:measure>/", views.evidence, name="controls_evidence"),
    path("units/<str:code>/status/", views.set_status, name="controls_status"),
    path("units/<str:code>/projects/", views.save_project, name="controls_project"),
    path("units/<str:code>/override/", views.set_override, name="controls_override"),
    path("units/<str:code>/override/cancel/", views.cancel_override, name="controls_override_cancel"),
]
