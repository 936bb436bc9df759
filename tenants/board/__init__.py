"""Businessbakkerij: the matchmaking board where residents, businesses and the
municipality post needs and offers, get matched and agree (SPEC §2.3 "board").

This folder is the example to copy for a new module (docs/adding-a-module.md):
schemas.py (input and settings), access.py (who may see what), queries.py (reading),
operations.py (one function per action, each writing its audit record), views.py and
api.py (thin), tasks.py (jobs), cli.py, demo.py, templates/board/.
"""

from wijknet.platform.lazy_text import lazy_gettext as _l
from wijknet.platform.modules import Module, NavEntry

module = Module(
    name="board",
    label=_l("Businessbakkerij: needs and offers"),
    description=_l("Residents, businesses and the municipality post what they need and what they offer, and get matched."),
    settings="wijknet.tenants.board.settings:BoardSettings",
    pages=("wijknet.tenants.board.views:bp",),
    api=("wijknet.tenants.board.api:blp",),
    models="wijknet.tenants.board.models",
    tasks=("wijknet.tenants.board.tasks",),
    cli="wijknet.tenants.board.cli:board",
    navigation=(
        NavEntry("board.index", _l("Board")),
        NavEntry("board.mine", _l("My posts"), role="member"),
        NavEntry("board.for_you", _l("Suggested for you"), role="member"),
    ),
    tile="board/_tile.html",
    demo_seed="wijknet.tenants.board.demo:seed",
    permissions={"read": "member", "post": "member", "moderate": "moderator"},
    audit_events={
        "board.post.created": _l("posted"),
        "board.post.updated": _l("changed a post"),
        "board.post.closed": _l("closed a post"),
        "board.post.reopened": _l("reopened a post"),
        "board.reaction.created": _l("reacted to a post"),
        "board.match.marked": _l("marked a match"),
        "board.match.confirmed": _l("confirmed a match"),
        "board.post.reported": _l("reported a post"),
        "board.post.hidden": _l("hid a post"),
        "board.post.restored": _l("showed a post again"),
        "board.post.approved": _l("approved a post"),
        "board.notifications.changed": _l("changed their email settings"),
        "board.notifications.unsubscribed": _l("unsubscribed from an email"),
    },
)
