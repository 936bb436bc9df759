import secrets

import pytest
from sqlalchemy.orm import Session

from wijknet.platform.tenancy.operations import ensure_user


@pytest.fixture
def staff(engine) -> int:
    """A member of the network's staff (their user id)."""
    with Session(engine) as session, session.begin():
        return ensure_user(session, f"staf-{secrets.token_hex(3)}@wijknet.example", "Sanne Staf", staff=True).id
