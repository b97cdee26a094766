"""The container health check (docker-compose.yml): GET /healthz on this machine as a host the site
serves. A bare request to 127.0.0.1 is refused as a disallowed host once ALLOWED_HOSTS names only the
clinic's domain, which would mark a healthy container unhealthy.

    python -m infusion_clinic.healthcheck [port]      exit 0 when /healthz answers 200
"""

import os
import sys
import urllib.error
import urllib.request


def served_host() -> str:
    """The first concrete name in ALLOWED_HOSTS (".example.org" serves example.org; "*" serves any)."""
    for host in os.environ.get("ALLOWED_HOSTS", "localhost").split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def main(port: int = 8000) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": served_host()})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"healthz: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 8000))
