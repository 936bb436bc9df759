from django.db import models


class Member(models.Model):
    """wijknet's members table; created by this app's first migration (wijknet's migrations/tenant/schema_at_head.sql)."""

    user_id = models.BigIntegerField(unique=True)
    display_name = models.TextField()
    role = models.TextField()
    organisation = models.TextField(null=True)
    joined_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "members"
