"""Every function that changes contracts, delivery reports and SLA results."""
