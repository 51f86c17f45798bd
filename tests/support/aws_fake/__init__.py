"""Fake EC2 + Route 53 endpoint for provision tests (see README.md)."""
from .server import AwsFake, Fake  # noqa: F401
