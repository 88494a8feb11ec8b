"""The gate config's JSON Schema, generated from the pydantic model (never written by hand).

``gate-config.schema.json`` beside this file is committed so editors (VS Code's YAML
extension, ``# yaml-language-server: $schema=…``) can complete and check a gate file offline;
a test fails when it no longer matches the model. Regenerate it with::

    python -m firmware_config.schema
"""

import json
import sys
from pathlib import Path

from firmware_config.model import GateConfig

SCHEMA_PATH = Path(__file__).with_name("gate-config.schema.json")
SCHEMA_ID = "https://sitegate.invalid/firmware_config/gate-config.schema.json"


def schema_text() -> str:
    schema = GateConfig.model_json_schema(mode="validation")
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    """Write the schema; with ``--check`` only report whether the committed one is current."""
    text = schema_text()
    if "--check" in argv:
        current = SCHEMA_PATH.exists() and SCHEMA_PATH.read_text(encoding="utf-8") == text
        print(f"{SCHEMA_PATH}: {'current' if current else 'OUT OF DATE'}")
        return 0 if current else 1
    SCHEMA_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
