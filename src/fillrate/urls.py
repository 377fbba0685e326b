from django.urls import include, path, re_path

from fillrate.api.main import api, not_found

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", not_found),
    path("", include("fillrate.web.urls")),
]
