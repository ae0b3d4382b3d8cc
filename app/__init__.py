"""The application: ``cli/`` (headless commands, the entry point) and ``studio/`` (the window)."""
