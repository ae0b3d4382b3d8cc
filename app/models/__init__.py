"""Qt-free models behind the studio's views: label canvas, edit history, document."""
