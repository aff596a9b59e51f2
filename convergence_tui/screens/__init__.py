"""Screens: they display session views and call session use cases; no SQL, zip or crypto here."""
