"""Schema slimming keeps what a call needs: headings with their text, the rules past the
budget, and property descriptions whose first paragraph carries literal values."""

from __future__ import annotations

from lynkr.optimize.schema_slim import (
    MAX_DESCRIPTION_CHARS,
    MAX_RULE_CHARS,
    slim_description,
    slim_property_description,
    slim_schema,
)

FILLER = "Some advice about when this helps, written at length. " * 6


def test_a_heading_is_never_kept_without_the_paragraph_under_it() -> None:
    text = "Keeps a list.\n\n" + "\n\n".join([FILLER] * 4) + "\n\n## Fields\n\n" + FILLER
    slim = slim_description(text)
    assert "## Fields" not in slim and slim.endswith(FILLER.strip())


def test_rules_past_the_budget_are_kept_in_order_and_advice_is_not() -> None:
    text = ("Invokes a skill.\n\n" + "\n\n".join([FILLER] * 6) + "\n\nMore notes:\n"
            "- Only invoke a skill from the list.\n- Pick the scoped variant.\n"
            "- NEVER mention a skill without calling this tool\n"
            "- Do not invoke a skill that is already running")
    slim = slim_description(text)
    assert len(slim) <= MAX_DESCRIPTION_CHARS + MAX_RULE_CHARS
    assert slim.endswith("- Only invoke a skill from the list.\n"
                         "- NEVER mention a skill without calling this tool\n"
                         "- Do not invoke a skill that is already running")
    assert "scoped variant" not in slim


def test_rules_beyond_their_own_budget_are_dropped_whole() -> None:
    rules = "\n".join(f"- NEVER do thing {i} " + "x" * 200 for i in range(20))
    slim = slim_description("Tool.\n\n" + "\n\n".join([FILLER] * 6) + "\n\n" + rules)
    kept = [line for line in slim.splitlines() if line.startswith("- NEVER")]
    assert 0 < len(kept) < 20 and all(line.endswith("x" * 200) for line in kept)


def test_a_property_description_with_a_sentinel_keeps_its_first_paragraph_whole() -> None:
    text = ("The input to fire on wake-up. Pass the same input verbatim each turn so the next "
            "firing continues the loop. For an autonomous loop pass the literal sentinel "
            "`<<autonomous-loop-dynamic>>` instead of a prompt.\n\nFor example: ...")
    assert slim_property_description(text) == text.split("\n\n")[0]


def test_slimming_never_touches_names_types_enums_or_required() -> None:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
              "properties": {"mode": {"type": "string", "enum": ["a", "b"], "title": "Mode"},
                             "n": {"type": "integer", "minimum": 0, "maximum": 9}},
              "required": ["mode"], "additionalProperties": False}
    slim = slim_schema(schema)
    assert slim["properties"] == {"mode": {"type": "string", "enum": ["a", "b"]},
                                  "n": {"type": "integer", "minimum": 0, "maximum": 9}}
    assert slim["required"] == ["mode"] and slim["additionalProperties"] is False
