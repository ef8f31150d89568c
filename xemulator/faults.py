"""Faults armed through the control API: the next requests to a path fail as asked (a mixin
of EmulatorState)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from xemulator.errors import EmulatorError

FAULT_KINDS = ("status", "malformed", "slow", "json", "headers", "truncated", "trickle")


@dataclass
class Fault:
    path: str
    kind: str = "status"
    remaining: int = 1
    status: int | None = None  # "status" faults default to 503, "json" ones to 200
    delay_seconds: float = 0.0
    body: object = None
    # For a 429: when x-rate-limit-reset says the budget comes back, in seconds from now.
    reset_seconds: float | None = None
    # Response headers to send as given, over the usual ones (a malformed rate-limit header).
    headers: dict[str, str] = field(default_factory=dict)
    # Only requests whose `query` parameter contains this (case-insensitive) are hit: X
    # refusing one hashtag, say.
    query_contains: str | None = None
    # Let this many matching requests through before the fault starts (a 400 on page 2).
    after: int = 0

    def as_json(self) -> dict:
        return asdict(self)


class FaultsMixin:
    def add_fault(self, fault: Fault) -> Fault:
        if fault.reset_seconds is not None and fault.reset_seconds < 0:
            raise EmulatorError("reset_seconds must be 0 or more")
        if fault.kind not in FAULT_KINDS:
            raise EmulatorError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        if fault.after < 0:
            raise EmulatorError("after must be 0 or more")
        if not fault.path.startswith("/") or fault.remaining < 1:
            raise EmulatorError("path must start with / and count must be at least 1")
        if fault.after < 0:
            raise EmulatorError("after must be 0 or more")
        if fault.kind == "status" and not 400 <= (fault.status or 503) <= 599:
            raise EmulatorError("status must be 4xx or 5xx")
        if fault.status is not None and not 200 <= fault.status <= 599:
            raise EmulatorError("status must be between 200 and 599")
        with self.lock:
            self.faults.append(fault)
            return fault

    def take_fault(self, path: str, query: str = "") -> Fault | None:
        """The next fault armed for `path` (and a request `query` containing its
        `query_contains`), counted down by one; None when there is none."""
        with self.lock:
            for fault in self.faults:
                wanted = fault.query_contains
                if fault.path == path and (wanted is None or wanted.casefold() in query.casefold()):
                    if fault.after > 0:
                        fault.after -= 1
                        return None
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                    return replace(fault)
            return None

    def armed_faults(self) -> list[Fault]:
        with self.lock:
            return [replace(f) for f in self.faults]

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()
