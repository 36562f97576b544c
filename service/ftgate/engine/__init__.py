"""The policy engine: RuleSet → durable-rules host; evaluate(Profile) → Assessment. No gRPC here."""

from ftgate.engine.engine import CompiledPolicy, Engine, compile_policy

__all__ = ["CompiledPolicy", "Engine", "compile_policy"]
