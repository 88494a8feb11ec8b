"""Gate device configuration: the YAML format, its JSON Schema, and device provisioning.

Both sides use it: the gate loads and validates its config here; central's ``devices add``
writes a new device's config here. It imports neither opencv nor dlib.
"""

from firmware_config.loader import ConfigError, load_config
from firmware_config.model import GateConfig

__all__ = ["ConfigError", "GateConfig", "load_config"]
