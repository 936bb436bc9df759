"""Billing: plans (configuration), Stripe behind a narrow gateway, and each lab's billing
state kept up to date by Stripe's webhooks (SPEC §2.5)."""
