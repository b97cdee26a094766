from django.apps import AppConfig


class RecordsConfig(AppConfig):
    """The session record: the infusion, vital signs with NEWS2, rate changes, adverse events,
    escalations, completion, sign-off, amendments and addenda, and its FHIR export."""

    name = "records"
    label = "records"
    verbose_name = "Session records"

    def ready(self):
        # The record shows on the scheduling pages through the fragments sessions offers.
        from sessions import hooks

        from .selectors import with_record_summary

        hooks.board_sessions.append(with_record_summary)
        hooks.page_fragments["board_session"].append("records/_board_badge.html")
        hooks.page_fragments["day_board_top"].append("records/_board_unescalated.html")
        hooks.page_fragments["session_detail"].append("records/_session_link.html")
