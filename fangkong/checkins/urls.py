from .views import exemptions, h5, lists, overrides, proxy, rules, upload

urlpatterns = [
    *h5.urlpatterns,
    *proxy.urlpatterns,
    *exemptions.urlpatterns,
    *lists.urlpatterns,
    *upload.urlpatterns,
    *rules.urlpatterns,
    *overrides.urlpatterns,
]
