"""Validates YAML files against heartbeat.schema.json: prints `PATH: ok` or `PATH: invalid: reason` per file."""
import sys

import jsonschema
import yaml
import json


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in sys.argv[2:]:
        try:
            with open(path, encoding="utf-8") as f:
                doc = yaml.safe_load(f)
            errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
            print(f"{path}: " + ("ok" if not errors else "invalid: " + errors[0].message[:200]))
        except yaml.YAMLError as e:
            print(f"{path}: invalid: YAML: {str(e)[:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
