"""The engine's one error type, apart so that config and optim need not import each other."""


class ConfigError(ValueError):
    """A config value outside what the engine accepts; the message names the field."""
