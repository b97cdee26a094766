"""Issue, revoke and list API tokens from the command line (a clinic admin's act, logged on the user's
page like one made on the staff pages):

    manage.py api_token issue --user epr-bot --name "EPR integration" --by admin [--days 90]
    manage.py api_token revoke ic_AbCdEfGh --by admin
    manage.py api_token list [--user epr-bot]
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from api import tokens
from api.models import ApiToken


class Command(BaseCommand):
    help = "Issue, revoke or list REST API tokens (docs/api.md)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue")
        issue.add_argument("--user", required=True, help="Username the token acts as.")
        issue.add_argument("--name", required=True, help="What the token is for.")
        issue.add_argument("--by", required=True, help="Username of the clinic admin issuing it.")
        issue.add_argument("--days", type=int, default=None)
        revoke = sub.add_parser("revoke")
        revoke.add_argument("prefix", help="The token's first characters, as listed (ic_xxxxxxxx).")
        revoke.add_argument("--by", required=True)
        listing = sub.add_parser("list")
        listing.add_argument("--user", default=None)

    def _user(self, username):
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user {username!r}.") from exc

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc

    def _issue(self, *, user, name, by, days, **_):
        token, key = tokens.issue_token(user=self._user(user), name=name, by=self._user(by), days=days)
        self.stdout.write(f"Token {token.prefix}… for {user}, expires {token.expires_at:%Y-%m-%d}.")
        self.stdout.write("The secret (shown once, never stored; keep it in the integration's vault):")
        self.stdout.write(key)

    def _revoke(self, *, prefix, by, **_):
        found = list(ApiToken.objects.filter(prefix=prefix.rstrip("…"), revoked_at__isnull=True)[:2])
        if len(found) != 1:
            raise CommandError(f"{'No' if not found else 'More than one'} live token starts {prefix}.")
        tokens.revoke_token(token=found[0], by=self._user(by))
        self.stdout.write(f"Revoked {found[0].prefix}….")

    def _list(self, *, user, **_):
        rows = ApiToken.objects.select_related("user").order_by("-created_at")
        if user:
            rows = rows.filter(user__username=user)
        for t in rows:
            state = (
                "revoked" if t.revoked_at else f"expires {t.expires_at:%Y-%m-%d}" if t.expires_at else "live"
            )
            used = f"last used {t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used"
            self.stdout.write(f"{t.prefix}…  {t.user.username:<20} {t.name:<30} {state}, {used}")
