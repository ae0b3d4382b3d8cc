"""Run E4S Studio from a source checkout: ``python main.py [COMMAND ...]``."""

from app.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
