from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from fillrate.web import backorders_views, orders_views, settings_views, views

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
    path("account/tokens/", views.api_tokens, name="tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.revoke_api_token, name="revoke_token"),
    # orders and backorders
    path("orders/", orders_views.order_list, name="orders"),
    path("orders/new/", orders_views.order_entry, name="order_new"),
    path("orders/new/line/", orders_views.order_entry_line, name="order_line"),
    path("orders/new/sku/", orders_views.order_sku_search, name="order_sku"),
    path("orders/new/shortfall/", orders_views.order_shortfall, name="order_shortfall"),
    path("orders/<str:number>/", orders_views.order_detail, name="order"),
    path("orders/<str:number>/cancel/", orders_views.order_cancel, name="order_cancel"),
    path("orders/<str:number>/hold/", orders_views.order_hold, name="order_hold"),
    path("orders/<str:number>/release/", orders_views.order_release, name="order_release"),
    path("orders/<str:number>/backorder/", orders_views.order_split, name="order_split"),
    path("oversold/", orders_views.oversold_list, name="oversold"),
    path("oversold/<str:number>/", orders_views.oversold_resolve, name="oversold_resolve"),
    path("backorders/", backorders_views.backorder_list, name="backorders"),
    path("backorders/<str:number>/", backorders_views.backorder_page, name="backorder"),
    path("backorders/<str:number>/edit/<str:name>/", backorders_views.backorder_edit,
         name="backorder_edit"),
    path("backorders/<str:number>/cancel/", backorders_views.backorder_cancel,
         name="backorder_cancel"),
    path("backorders/<str:number>/communications/", backorders_views.backorder_communication,
         name="backorder_comm"),
    path("settings/", settings_views.settings_page, name="settings"),
]
