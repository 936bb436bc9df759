#!/usr/bin/env python
"""The peer's manage.py (django-tenants' own commands: create_tenant, migrate_schemas)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
