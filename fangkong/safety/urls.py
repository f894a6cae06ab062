"""Pages of the safety and environment module, at /safety/."""

from django.urls import path

from .views import incidents, inspections

urlpatterns = [
    path("", incidents.summary, name="safety_summary"),
    path("incidents/", incidents.incidents, name="safety_incidents"),
    path("incidents.xlsx", incidents.incidents_export, name="safety_incidents_export"),
    path("incidents/new/", incidents.report, name="safety_incident_new"),
    path("limits/", incidents.limits, name="safety_limits"),
    path("incidents/<uuid:incident_uid>/", incidents.incident_page, name="safety_incident"),
    path("incidents/<uuid:incident_uid>/follow-up/", incidents.follow_up, name="safety_incident_follow_up"),
    path("plans/", inspections.plans, name="safety_plans"),
    path("plans.xlsx", inspections.plans_export, name="safety_plans_export"),
    path("plans/new/", inspections.plan_new, name="safety_plan_new"),
    path("plans/<uuid:plan_uid>/", inspections.plan_page, name="safety_plan"),
    path("visits/", inspections.visits, name="safety_visits"),
    path("visits.xlsx", inspections.visits_export, name="safety_visits_export"),
    path("visits/new/", inspections.visit_new, name="safety_visit_new"),
    path("visits/<uuid:visit_uid>/", inspections.visit_page, name="safety_visit"),
    path("visits/<uuid:visit_uid>/findings/", inspections.finding_new, name="safety_finding_new"),
    path("findings/", inspections.findings, name="safety_findings"),
    path("findings.xlsx", inspections.findings_export, name="safety_findings_export"),
    path("findings/<uuid:finding_uid>/", inspections.finding_page, name="safety_finding"),
    path("findings/<uuid:finding_uid>/reinspect/", inspections.reinspect, name="safety_reinspect"),
    path("files/<uuid:file_uid>/", inspections.attachment, name="safety_attachment"),
]
