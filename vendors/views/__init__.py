"""The pages of tendering, one module per area (all on the ``vendors`` blueprint)."""

from vendors.views import bids, evaluation, profiles, tenders  # noqa: F401
