from django.urls import path
from lab import views

urlpatterns = [path("api/v1/members", views.members)]
