"""The mask canvas's tools: the one table the tool panel, the shortcuts and the canvas read.

Qt-free: icons are qtawesome names (the first one the installed fonts know is used) and
cursors are ``Qt.CursorShape`` member names, resolved by the widgets.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Tool:
    name: str  # what the canvas and tool_changed carry, e.g. "brush"
    label: str
    shortcut: str
    icons: tuple[str, ...]
    cursor: str  # a Qt.CursorShape name
    strokes: bool  # drags a round footprint (its outline follows the mouse, previews while moving)


TOOLS: tuple[Tool, ...] = (
    Tool("brush", "Brush", "B", ("fa5s.paint-brush", "mdi.brush"), "CrossCursor", True),
    Tool("eraser", "Eraser", "E", ("fa5s.eraser", "mdi.eraser"), "CrossCursor", True),
    Tool("fill", "Fill", "F", ("fa5s.fill-drip", "mdi.format-color-fill"), "CrossCursor", False),
    Tool("rectangle", "Rectangle", "R", ("fa5s.square", "mdi.square"), "CrossCursor", False),
    Tool("eyedropper", "Eyedropper", "I", ("fa5s.eye-dropper", "mdi.eyedropper"), "CrossCursor", False),
)
TOOL_NAMES: tuple[str, ...] = tuple(tool.name for tool in TOOLS)
_BY_NAME = {tool.name: tool for tool in TOOLS}


def tool_named(name: str) -> Tool:
    if name not in _BY_NAME:
        raise ValueError(f"Unknown tool {name!r}; choose one of {', '.join(TOOL_NAMES)}")
    return _BY_NAME[name]
