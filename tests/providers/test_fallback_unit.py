"""How an exhausted fallback chain describes what it tried."""


def test_repeated_failures_of_one_target_are_counted_not_repeated() -> None:
    from lynkr.config import TierTarget
    from lynkr.routing.fallback import Attempt, describe_attempts

    ollama, backup = TierTarget("ollama", "qwen"), TierTarget("openai", "gpt-4o")
    attempts = [Attempt(None, ollama, "refused"), Attempt(None, ollama, "refused"),
                Attempt(None, ollama, "refused"), Attempt("FALLBACK", backup, "500")]
    assert describe_attempts(attempts) == "ollama:qwen (refused) x3; openai:gpt-4o (500)"
