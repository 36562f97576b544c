"""The policy engine: RuleSet → durable-rules host; decide(Profile) → Decision. No wire format here."""

from ftgate.engine.engine import CompiledPolicy, Engine, compile_policy

__all__ = ["CompiledPolicy", "Engine", "compile_policy"]
