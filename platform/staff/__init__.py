"""The network staff console and API (SPEC §2.4)."""
