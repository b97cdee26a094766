"""Two-factor sign-in with django-otp: a TOTP authenticator app plus single-use recovery codes.

After the password (Django's LoginView, django-axes' lockout), a user whose role is in
MFA_REQUIRED_ROLES is held by middleware.SecondFactorRequiredMiddleware until the session is verified:
without a confirmed authenticator they set one up (views.enrol), otherwise they enter a code
(views.verify). django-otp's OTPMiddleware reads the verifying device from the session on every
request, so when a clinic admin resets someone's second factor (staff.services) that session stops
counting as verified at once and the person sets it up again.
"""
