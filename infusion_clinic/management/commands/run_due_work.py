"""Run the periodic follow-up work once, for a demo without a Celery broker (or from cron)."""

from django.core.management.base import BaseCommand

from followup.tasks import (
    create_due_outcome_reviews,
    send_diary_prompts,
    send_due_reminders,
    send_follow_up_alerts,
)


class Command(BaseCommand):
    help = "Send due reminders and diary prompts, create due outcome reviews and send backlog alerts, once."

    def handle(self, *args, **options):
        # The same tasks beat schedules; called directly they run here, in this process.
        reminders = send_due_reminders()
        self.stdout.write(
            f"Reminders: {reminders['claimed']} claimed and delivered, {reminders['redispatched']} dispatched again, "
            f"{reminders['deferred_sms']} SMS held for the end of quiet hours."
        )
        prompts = send_diary_prompts()
        self.stdout.write(
            f"Diary prompts: {prompts['sent']} sent, {prompts['failed']} failed, {prompts['skipped']} skipped."
        )
        self.stdout.write(
            f"Outcome reviews: scheduled for {create_due_outcome_reviews()} finished course(s)."
        )
        alerts = send_follow_up_alerts()
        self.stdout.write(
            f"Alerts: {alerts['overdue_reviews']} overdue review(s), {alerts['stale_diary_entries']} diary entr(ies) "
            f"waiting; {alerts['emailed']} specialist(s) emailed."
        )
        self.stdout.write(self.style.SUCCESS("Due work done."))
