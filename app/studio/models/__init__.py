"""Qt-free models behind the studio's views: label canvas, edits and history, document, projects."""
