"""Command families: every module here registers its commands with ``app.cli.registry.command``."""
