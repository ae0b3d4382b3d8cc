"""The studio window and everything only it needs: widgets/ (Qt views), models/ (Qt-free), workers/."""
