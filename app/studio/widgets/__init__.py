"""Qt widgets of the studio: thin views over the Qt-free models in app/studio/models."""
