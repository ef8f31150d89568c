"""The error the emulator's state raises for a request it refuses."""


class EmulatorError(ValueError):
    """A request the emulator refuses; `error` is the OAuth error code where there is one."""

    def __init__(self, message: str, *, error: str = "invalid_request"):
        super().__init__(message)
        self.error = error
