"""Makes tests/jsonschema/cases.json: data checked against schemas of hookmap's JSON Schema subset
by an independent implementation, Python's `jsonschema` (Draft 2020-12). hookmap-core's
tests/schema_corpus.rs must agree with every verdict.

    python3 tests/jsonschema/make_cases.py > tests/jsonschema/cases.json

Deterministic (a fixed seed), so a re-run is compared with the committed file by diff.
"""
import json
import random

from jsonschema import Draft202012Validator

SCHEMAS = [
    {"type": "object", "required": ["amount", "currency"], "additionalProperties": False,
     "properties": {"amount": {"type": "integer", "minimum": 1}, "currency": {"enum": ["EUR", "USD"]},
                    "note": {"type": ["string", "null"], "maxLength": 3}}},
    {"type": "array", "minItems": 1, "maxItems": 3, "items": {"type": ["number", "boolean"], "maximum": 10}},
    {"type": "string", "minLength": 2, "maxLength": 4},
    {"const": {"a": [1, 2.0]}},
    {"enum": [1, "1", True, None, [1], {"x": 1}]},
    {"type": "integer", "minimum": -5, "maximum": 5.5},
    {"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}},
                                            "required": ["b"]}}, "additionalProperties": True},
    {"type": ["object", "array"], "items": {"const": 0}, "properties": {"x": {"type": "null"}}},
    {"minimum": 0, "maxLength": 1, "maxItems": 0, "title": "bounds apply to their own kinds only"},
    {},
]

KEYS = ["amount", "currency", "note", "a", "b", "x", "odd key"]


def value(rng, depth=0):
    kinds = ["null", "bool", "int", "float", "str"] + (["list", "obj"] if depth < 3 else [])
    kind = rng.choice(kinds)
    if kind == "null":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.choice([0, 1, 2, 5, 6, 10, 11, -5, -6, 1250])
    if kind == "float":
        return rng.choice([1.0, 2.0, 0.5, -0.1, 5.5, 10.0, 10.5])
    if kind == "str":
        return rng.choice(["", "1", "EUR", "USD", "GBP", "ab", "abcd", "abcde", "\u00e9t\u00e9", "\U0001F600x"])
    if kind == "list":
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {k: value(rng, depth + 1) for k in rng.sample(KEYS, rng.randint(0, 4))}


def main():
    rng = random.Random(15)
    cases = []
    for schema in SCHEMAS:
        validator = Draft202012Validator(schema)
        seen = set()
        # Hand-picked data beside random data, so each schema sees both verdicts.
        picked = [{"amount": 5, "currency": "EUR"}, {"amount": 5.0, "currency": "USD", "note": None},
                  {"amount": 1, "currency": "EUR", "extra": 1}, [1, True], [], "abc", {"a": [1, 2]},
                  1, 1.0, True, 5.5, 5, -5, {"a": {"b": "x"}}, {"a": {}}, {"x": None}, [0, 0.0], 0]
        for data in picked + [value(rng) for _ in range(40)]:
            key = json.dumps(data, sort_keys=True)
            if key in seen:
                continue
            seen.add(key)
            cases.append({"schema": schema, "data": data, "valid": validator.is_valid(data)})
    print(json.dumps(cases, indent=None, ensure_ascii=False).replace("}, {\"schema\"", "},\n{\"schema\""))


if __name__ == "__main__":
    main()
