"""Gate device configuration: the YAML format (pydantic model), its JSON Schema, and loading.

A leaf package: it imports only pydantic, PyYAML and the wire protocol, so both the gate and
central (which provisions gate files in central/provisioning/gate_file.py) can load it without
pulling in each other, opencv or dlib. Its dust limit profiles and recognition defaults live
here too, because the config validates against them.
"""

from firmware_config.loader import ConfigError, load_config
from firmware_config.model import GateConfig

__all__ = ["ConfigError", "GateConfig", "load_config"]
