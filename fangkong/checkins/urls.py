from .views import h5, lists, proxy, rules, upload

urlpatterns = [*h5.urlpatterns, *proxy.urlpatterns, *lists.urlpatterns, *upload.urlpatterns, *rules.urlpatterns]
