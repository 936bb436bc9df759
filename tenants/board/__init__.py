"""Businessbakkerij: the matchmaking board where residents, businesses and the
municipality post needs and offers, get matched and agree (SPEC §2.3 "board")."""
