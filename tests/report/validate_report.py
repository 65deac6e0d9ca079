#!/usr/bin/env python3
"""validate_report.py SCHEMA FILE...: validates JSON run reports against docs/run-report.schema.json
(JSON Schema draft 2020-12) with python3-jsonschema (Debian; scripts/install-deps lists it).
Prints every violation with its JSON path; exit 0 all valid, 1 a document is invalid, 2 usage
or a missing validator."""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("FAILED: python3-jsonschema is not installed (scripts/install-deps lists it)")
    sys.exit(2)


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for path in argv[2:]:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errors:
            where = "/".join(str(p) for p in e.absolute_path) or "(root)"
            print(f"{path}: {where}: {e.message}")
        if errors:
            bad += 1
        else:
            print(f"{path}: valid")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
