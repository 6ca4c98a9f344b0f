"""The shared mail corpus through the intake: each mail is a case, a thread or a reason.

A case that screening refused is still a case (closed as rejected): verdict `case_rejected`."""

from __future__ import annotations

from pathlib import Path

from kefu.bootstrap import App
from tests.channels.conftest import take_in

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
CORPUS = sorted((DATA / "email_mikel_mail").rglob("*.eml")) + sorted(
    (DATA / "email_cpython_test_email").glob("msg_*.txt")
)


def test_every_corpus_mail_gets_a_recorded_outcome(app: App) -> None:
    assert len(CORPUS) >= 90, f"corpus missing under {DATA}"
    outcomes: dict[str, int] = {}
    for path in CORPUS:
        result = take_in(app, path.read_bytes())
        assert result.verdict in {
            "case_opened",
            "case_rejected",
            "threaded",
            "ignored",
            "rejected",
            "duplicate",
        }
        if result.verdict in {"case_opened", "case_rejected", "threaded"}:
            assert result.case_number, path
        if result.verdict in {"ignored", "rejected", "case_rejected"}:
            assert result.reason, path
        outcomes[result.verdict] = outcomes.get(result.verdict, 0) + 1
    with app.uow() as uow:
        recorded = uow.channels.mail.recent(limit=1000)
    # One row per distinct Message-ID (some corpus files share one, and are then duplicates).
    assert len(recorded) == len(CORPUS) - outcomes.get("duplicate", 0)
    assert outcomes["case_opened"] > 20
    assert outcomes["ignored"] >= 2  # the corpus holds bounces (multipart/report)
    print(outcomes)
