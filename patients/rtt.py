"""The NHS 18-week referral-to-treatment (RTT) clock (docs/clinical-reference.md#rtt).

The clock starts on the day the clinic receives the referral and stops at the first infusion or a
decision not to treat (`Referral.rtt_stopped_on`). Weeks waited are whole weeks since the start.
An NHS pathway is in breach once more than 126 days (18 weeks) have passed without a stop; a stopped
clock that ran past 126 days stays marked as a breach, because the patient did wait that long.
Private referrals have no RTT standard: their wait is shown but never counts as a breach.
"""

from dataclasses import dataclass
from datetime import date

from .models import FundingRoute

BREACH_AFTER_DAYS = 126  # 18 weeks
NEAR_BREACH_FROM_DAYS = 15 * 7  # flag pathways in their last three weeks


@dataclass(frozen=True)
class RttClock:
    applies: bool  # NHS referrals only
    started_on: date
    stopped_on: date | None
    days_waited: int

    @property
    def weeks_waited(self) -> int:
        return self.days_waited // 7

    @property
    def running(self) -> bool:
        return self.stopped_on is None

    @property
    def breached(self) -> bool:
        return self.applies and self.days_waited > BREACH_AFTER_DAYS

    @property
    def near_breach(self) -> bool:
        return (
            self.applies and self.running and NEAR_BREACH_FROM_DAYS <= self.days_waited <= BREACH_AFTER_DAYS
        )

    @property
    def days_to_breach(self) -> int:
        return BREACH_AFTER_DAYS - self.days_waited


def rtt_clock(referral, *, today: date) -> RttClock:
    end = referral.rtt_stopped_on or today
    return RttClock(
        applies=referral.funding_route == FundingRoute.NHS,
        started_on=referral.received_on,
        stopped_on=referral.rtt_stopped_on,
        days_waited=max((end - referral.received_on).days, 0),
    )
