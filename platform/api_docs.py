"""What the OpenAPI document says of every tenant API operation, whichever module adds it:
the Bearer token it needs and the errors it can answer (JSON `{code, status, message,
errors}`). An apispec plugin, so a new module's endpoints are documented without a line of
their own."""

from __future__ import annotations

from apispec import BasePlugin

BEARER = {"type": "http", "scheme": "bearer", "description": "A personal access token (wkn_...) for one living lab."}
STAFF_BEARER = {
    "type": "http",
    "scheme": "bearer",
    "description": "A staff token (wkn_...) for the staff API, network staff only.",
}
# status -> the response component flask-smorest registers for it (Error schema)
READ_ERRORS = {
    "400": "BAD_REQUEST",
    "401": "UNAUTHORIZED",
    "404": "NOT_FOUND",
    "422": "UNPROCESSABLE_ENTITY",
    "429": "TOO_MANY_REQUESTS",
    "503": "SERVICE_UNAVAILABLE",
}
WRITE_ERRORS = {**READ_ERRORS, "409": "CONFLICT", "413": "REQUEST_ENTITY_TOO_LARGE", "423": "LOCKED"}
PUBLIC_PREFIXES = ("/api/v1/tenants",)
STAFF_PREFIX = "/api/v1/staff/"


class ErrorsAndSecurityPlugin(BasePlugin):
    def operation_helper(self, path=None, operations=None, **kwargs):
        if not path or not operations:
            return
        tenant_api = path.startswith("/t/{slug}/api/")
        staff_api = path.startswith(STAFF_PREFIX)
        public = path.startswith(PUBLIC_PREFIXES)
        for method, operation in operations.items():
            if tenant_api:
                operation.setdefault("security", [{"bearer": []}])
            elif staff_api:
                operation.setdefault("security", [{"staff_bearer": []}])
            elif public:
                operation.setdefault("security", [])
            if tenant_api or staff_api or public:
                errors = READ_ERRORS if method in ("get", "head", "options") else WRITE_ERRORS
                if staff_api:
                    errors = {**errors, "403": "FORBIDDEN"}
                responses = operation.setdefault("responses", {})
                for status, component in errors.items():
                    responses.setdefault(status, component)


def init_spec(api) -> None:
    api.spec.components.security_scheme("bearer", BEARER)
    api.spec.components.security_scheme("staff_bearer", STAFF_BEARER)
