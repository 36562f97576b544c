"""The input profile as proto3 JSON (proto field names), made from the validated domain Profile.

json_format.MessageToJson walks descriptors in Python and costs several times more; the audit
writer makes one per decision. The output parses back with json_format.ParseDict into the same
ProjectProfile (int64 values are JSON numbers rather than strings, which the mapping accepts).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from ftgate import enums
from ftgate.domain.profile import Economics, Profile, PromptEngineering, PromptInfo

# The enum-valued fields (the domain keeps the short names, the JSON has the proto names).
_ENUMS = enums.PROFILE_FIELDS
_NESTED = {"prompt_engineering": PromptEngineering.__slots__, "economics": Economics.__slots__,
           "prompt": PromptInfo.__slots__}


# A profile asked about again (an answer from the decision cache) is the same Profile object:
# its JSON is made once. Profiles are frozen, so equal ones share an entry.
@functools.lru_cache(maxsize=1024)
def profile_json(profile: Profile) -> str:
    out: dict[str, Any] = {}
    for name in Profile.__slots__:
        value = getattr(profile, name)
        if name in _NESTED:
            nested = {k: v for k in _NESTED[name] if (v := getattr(value, k)) is not None}
            if nested:
                out[name] = nested
        elif name == "symptoms":
            if value:
                out[name] = [enums.SYMPTOM.full(s) for s in value]
        elif name == "name":
            if value:
                out[name] = value
        elif value is not None:
            out[name] = _ENUMS[name].full(value) if name in _ENUMS else value
    return json.dumps(out, ensure_ascii=False, separators=(", ", ": "))
