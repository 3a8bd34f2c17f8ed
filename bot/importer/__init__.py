"""Imports of the school's CSV/XLSX templates into the portfolio database."""
