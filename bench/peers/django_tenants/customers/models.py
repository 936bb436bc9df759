from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Client(TenantMixin):
    name = models.CharField(max_length=120)
    created_on = models.DateTimeField(auto_now_add=True)
    auto_create_schema = True  # saving a client creates its schema and migrates it


class Domain(DomainMixin):
    pass


class ApiToken(models.Model):
    """A lab's API token (the hash of it), like wijknet's platform.api_tokens."""

    token_hash = models.CharField(max_length=64, unique=True)
    tenant = models.ForeignKey(Client, on_delete=models.CASCADE)
    email = models.CharField(max_length=254)
