"""What the onboarding wizard (page and staff API) takes, checked in one place: every
field's problem is reported under the field, translated, and nothing is made unless all
is well."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate
from sqlalchemy.orm import Session

from wijknet.platform.lazy_text import lazy_gettext as _l

from ..identity.operations import clean_email
from ..modules import all_modules
from ..refusals import DomainError, field_messages
from ..tenancy.models import PLANS, TENANT_TYPES


class OnboardingSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    name = fields.String(
        required=True,
        validate=validate.Length(1, 120, error=_l("A name of 1 to 120 characters.")),
        error_messages={"required": _l("Give the living lab a name.")},
    )
    slug = fields.String(required=True, error_messages={"required": _l("Choose an address.")})
    type = fields.String(
        load_default="wijkbedrijf", validate=validate.OneOf(TENANT_TYPES, error=_l("Choose one of the kinds of living lab."))
    )
    region = fields.String(load_default="", validate=validate.Length(max=120, error=_l("At most 120 characters.")))
    tagline = fields.String(load_default="", validate=validate.Length(max=300, error=_l("At most 300 characters.")))
    plan = fields.String(load_default="pilot", validate=validate.OneOf(PLANS, error=_l("Choose one of the plans.")))
    # None: the starter kit's modules (or the board alone without a kit).
    modules = fields.List(fields.String(), load_default=None, allow_none=True)
    admin_email = fields.String(required=True, error_messages={"required": _l("Whom should we invite as administrator?")})
    starter_kit = fields.String(load_default=None, allow_none=True)

    @pre_load
    def _tidy(self, data, **kwargs):
        data = dict(data)
        for key in ("name", "slug", "region", "tagline", "admin_email", "starter_kit"):
            if isinstance(data.get(key), str):
                data[key] = data[key].strip()
        if isinstance(data.get("slug"), str):
            data["slug"] = data["slug"].lower()
        if data.get("starter_kit") == "":
            data["starter_kit"] = None
        return data


class OnboardingError(DomainError):
    code = "staff.onboarding_invalid"


def check_onboarding(session: Session, raw: dict) -> dict:
    """The wizard's input, clean, or an OnboardingError with a message per field."""
    from .operations import slug_message

    errors: dict[str, list[str]] = {}
    try:
        data = OnboardingSchema().load(raw)
    except ValidationError as exc:
        errors = field_messages(exc.messages)
        data = {k: v for k, v in (exc.valid_data or {}).items()}
    slug = data.get("slug")
    if slug is not None and "slug" not in errors and (problem := slug_message(session, slug)):
        errors["slug"] = [problem]
    email = data.get("admin_email")
    if email is not None and "admin_email" not in errors:
        clean = clean_email(email)
        if clean is None:
            errors["admin_email"] = [str(_l("This is not an email address."))]
        else:
            data["admin_email"] = clean
    modules = data.get("modules")
    if modules is not None and "modules" not in errors:
        unknown = sorted(set(modules) - set(all_modules()))
        if unknown:
            errors["modules"] = [str(_l("Unknown modules: %(names)s.", names=", ".join(unknown)))]
    if errors:
        raise OnboardingError(_l("Please correct the marked fields."), errors=errors)
    return data
