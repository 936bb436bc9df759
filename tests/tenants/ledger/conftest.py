import pytest


@pytest.fixture
def lab(make_tenant):
    """A living lab with the ledger switched on."""
    return make_tenant(modules=("ledger",))
