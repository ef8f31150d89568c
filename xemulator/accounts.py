"""An X account as the emulator keeps it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class XUser:
    id: str
    username: str
    name: str
    profile_image_url: str = ""
    created_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))
    description: str = ""
    location: str = ""
    url: str = ""
    protected: bool = False
    verified: bool = False
    verified_type: str = "none"
