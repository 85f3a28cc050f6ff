"""Alembic migrations of the warehouse; a package so that setuptools ships them."""
