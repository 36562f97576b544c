"""The attack tests: each reproduces an attack on a live `ftgate serve` over loopback.

They share the operability tests' helpers (tests/operability/opstools.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "operability"))
