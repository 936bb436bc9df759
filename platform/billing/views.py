"""Stripe's webhook: POST /api/v1/billing/stripe-webhook. Signed by Stripe (a forged or
altered event is refused with 400 and changes nothing), recorded once per event id."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from ..tenancy.routing import platform_db
from .gateway import current_gateway
from .operations import handle_event
from .plans import current_plans

bp = Blueprint("billing", __name__)


@bp.post("/api/v1/billing/stripe-webhook")
def stripe_webhook():
    gateway = current_gateway()
    event = gateway.parse_event(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    outcome = handle_event(platform_db(), gateway, current_plans(), event)
    current_app.extensions["wijknet"].directory.forget()
    return jsonify({"event": event.get("id"), "outcome": outcome})
