"""Valid request bodies the HTTP tests start from (a test changes one field to make its point)."""

from __future__ import annotations

from typing import Any

# A buyer's complaint on the order every web test world holds (DD0001).
FILING: dict[str, Any] = {
    "kind": "complaint",
    "order_no": "DD0001",
    "subject": "屏幕有坏点",
    "description": "收到的电视屏幕左上角有三个亮点，开机就能看到。",
    "contact_phone": "13812345678",
}
# An SLA policy draft for complaints. The suite's clock stands at Tuesday 2026-11-24 10:00
# Shanghai, so the start is past the 7-day notice the law asks for.
DRAFT: dict[str, Any] = {
    "policy_id": "complaint",
    "match": {"kind": "complaint"},
    "clocks": [
        {"name": "first_response", "party": "platform", "measure": "calendar_hours", "amount": 6},
        {"name": "first_contact", "party": "platform", "measure": "calendar_hours", "amount": 3},
        {"name": "resolution", "party": "platform", "measure": "working_days", "amount": 5},
    ],
    "effective_from": "2026-12-02T00:00:00+08:00",
}
