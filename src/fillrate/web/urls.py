from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from fillrate.web import views

app_name = "web"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="web:products"), name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html",
                                                redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("products/", views.product_list, name="products"),
    path("products/<str:sku>/", views.product_detail, name="product"),
    path("customers/", views.customer_list, name="customers"),
    path("customers/<str:code>/", views.customer_detail, name="customer"),
    path("stock/adjust/", views.adjust_stock_view, name="adjust_stock"),
]
