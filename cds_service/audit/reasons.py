"""Override reasons coded to the HL7 non-adherence reason code system (CDS Hooks 3.0), so overrides
compare across sites whatever local codes each offers.

Cards offer the service's local reasons (`[override_reasons.codes]` in the guideline configuration;
CDS Hooks 2.0 cards carry one Coding per reason). Feedback is coded when it is recorded: a local code
through `[override_reasons.standard]`, a code of the non-adherence system as it is (EHRs that send only
the standard codes), anything else not at all (shown as "not coded").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cards.config import Guideline, NonAdherenceCodes, load_guideline, non_adherence_codes


@dataclass(frozen=True)
class ReasonCoder:
    local_system: str
    local_display: dict[str, str]
    to_standard: dict[str, str]
    standard: NonAdherenceCodes

    @classmethod
    def of(cls, guideline: Guideline) -> ReasonCoder:
        reasons = guideline.file.override_reasons
        return cls(reasons.system, dict(reasons.codes), dict(reasons.standard), non_adherence_codes())

    @classmethod
    def from_file(cls, path: Path | None) -> ReasonCoder:
        return cls.of(load_guideline(path))

    def standard_code(self, system: str | None, code: str | None) -> str | None:
        if not code:
            return None
        if system == self.standard.system:
            return code if code in self.standard.display else None
        if system == self.local_system or system is None:
            return self.to_standard.get(code)
        return None

    def standard_display(self, code: str | None) -> str | None:
        return self.standard.display.get(code) if code else None

    def category(self, code: str | None) -> str | None:
        """The top-level non-adherence category of a code (itself for a top-level code)."""
        if not code or code not in self.standard.category:
            return None
        return self.standard.category[code] or code
