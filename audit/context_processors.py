import time

from . import idle


def idle_timeout(request):
    """`idle_timeout_seconds` for base.html's <body data-idle-timeout>: the seconds left before the
    server signs this session out (its last activity is stamped at most once a minute). On staff pages
    only: the pages open to anyone (diary links, the login page) have no idle sign-out."""
    user = getattr(request, "user", None)
    match = getattr(request, "resolver_match", None)
    if not (user and user.is_authenticated and match and getattr(match.func, "login_required", True)):
        return {}
    last = request.session.get(idle.SESSION_KEY) or time.time()
    return {"idle_timeout_seconds": max(int(idle.timeout_seconds() - (time.time() - last)), 1)}
