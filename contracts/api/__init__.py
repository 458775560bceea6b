"""The JSON API of contracts: contracts, delivery reports and SLA results.

Every endpoint calls the same operations and queries as the pages. Importing
this package attaches the endpoints to the API blueprint.
"""

from contracts.api import contracts, reports, results  # noqa: F401
