"""Imports every platform model so that the metadata is complete."""


def load_platform_models() -> None:
    from . import rate_limits as _rate_limits  # noqa: F401
    from .identity import models as _identity  # noqa: F401
    from .mail import models as _mail  # noqa: F401
    from .tenancy import models as _tenancy  # noqa: F401
