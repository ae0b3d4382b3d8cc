"""User-facing errors: one place, shown as-is by the GUI and the CLI.

Every message says what happened and what to do about it. Code that catches
``E4SError`` may print ``str(error)`` to a user without a traceback.
"""


class E4SError(Exception):
    """Base class for failures a user can understand and act on."""


class CheckpointError(E4SError):
    """A model file is missing, unreadable, unsafe or does not match the network."""


class DeviceError(E4SError):
    """The requested compute device is not available."""


class InputError(E4SError):
    """An image, label map or tensor given to the engine is not usable."""


class UnreadableImageError(InputError):
    """A file is missing, not an image, corrupt or truncated."""


class ImageTooSmallError(InputError):
    """An image is too small to find or edit a face in."""


class NoFaceError(InputError):
    """No face was found in a photo."""


class FaceTooSmallError(InputError):
    """The chosen face is too small for the network to edit meaningfully."""


class FaceCutOffError(InputError):
    """The chosen face reaches past the photo's border."""
