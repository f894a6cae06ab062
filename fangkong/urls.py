from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from fangkong.api.root import api

# Django admin is for superusers only (staff without superuser status are refused).
admin.site.has_permission = lambda request: bool(  # type: ignore[method-assign]
    request.user.is_active and request.user.is_superuser
)

urlpatterns = [
    # api: fangkong.api. First: Django tries the patterns in order, and the API's check-ins are the
    # morning peak (resolving them after every page's pattern cost ~5 % of a check-in's CPU).
    path("api/v1/", api.urls),
    # accounts: django.contrib.auth views
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    # org: fangkong.org.views
    path("", include("fangkong.org.urls")),
    # checkins: fangkong.checkins.views (H5 page, proxy entry, lists, day upload, rules)
    path("", include("fangkong.checkins.urls")),
    # consent: fangkong.consent.views (privacy notice, legal basis, acceptance and withdrawal)
    path("consent/", include("fangkong.consent.urls")),
    # privacy: fangkong.privacy.views (revealing an identifier, the access log)
    path("privacy/", include("fangkong.privacy.urls")),
    # retention: fangkong.retention.views (the periods in force and the purge's last runs)
    path("retention/", include("fangkong.retention.urls")),
    # ledger: fangkong.ledger.views
    path("ledger/", include("fangkong.ledger.urls")),
    # reports: fangkong.reports.views
    path("reports/", include("fangkong.reports.urls")),
    # controls: fangkong.controls.views
    path("controls/", include("fangkong.controls.urls")),
    # notify: fangkong.notify.views
    path("notify/", include("fangkong.notify.urls")),
    # safety: fangkong.safety.views
    path("safety/", include("fangkong.safety.urls")),
    # supplies: fangkong.supplies.views
    path("supplies/", include("fangkong.supplies.urls")),
    # overseas: fangkong.overseas.views
    path("overseas/", include("fangkong.overseas.urls")),
    # news: fangkong.news.views
    path("news/", include("fangkong.news.urls")),
    # dashboard: fangkong.dashboard.views
    path("dashboard/", include("fangkong.dashboard.urls")),
    # admin: django.contrib.admin
    path("admin/", admin.site.urls),
]

if settings.BENCH_VIEWS:  # bench: fangkong.bench.views, only for `fangkong bench`
    urlpatterns.append(path("bench/", include("fangkong.bench.views")))
