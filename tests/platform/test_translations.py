"""Every message in the code and templates has a Dutch translation (Dutch is the default)."""

import os
import subprocess
import sys

from babel.messages.pofile import read_po

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_every_message_has_a_dutch_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    pybabel = os.path.join(os.path.dirname(sys.executable), "pybabel")
    subprocess.run(
        [pybabel, "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    with open(pot, "rb") as fh:
        wanted = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
    with open(os.path.join(REPO, "platform/translations/nl/LC_MESSAGES/messages.po"), "rb") as fh:
        catalog = read_po(fh, locale="nl")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(wanted - translated)
    assert not missing, "Add Dutch translations (platform/translations/nl/LC_MESSAGES/messages.po) for: " + "; ".join(missing)
    assert len(wanted) > 30
