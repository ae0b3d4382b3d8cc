"""Background threads of the studio: the render worker (newest wins), its scheduler, the task queue."""
