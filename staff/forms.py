from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator

from infusion_clinic.roles import ROLE_KEYS, ROLES

User = get_user_model()

ROLE_CHOICES = [(role, role) for role in ROLES]
KEY_TO_ROLE = {key: role for role, key in ROLE_KEYS.items()}


class StaffFilterForm(forms.Form):
    role = forms.ChoiceField(
        required=False, choices=[("", "Any role"), *[(k, r) for r, k in ROLE_KEYS.items()]]
    )
    active = forms.ChoiceField(
        required=False,
        label="Status",
        choices=[("", "Active and deactivated"), ("yes", "Active"), ("no", "Deactivated")],
    )

    def filters(self) -> dict:
        """The filters to apply; a value that is not a choice is ignored rather than an error page."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "role": KEY_TO_ROLE.get(data["role"]),
            "active": {"yes": True, "no": False}.get(data["active"]),
        }


class _StaffFields(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(
        max_length=254,
        help_text="Their work address: the link to set a password is sent here.",
        error_messages={"invalid": "Enter a valid email address, e.g. sam.jones@example.nhs.uk."},
    )
    role = forms.ChoiceField(
        choices=[("", "Choose a role…"), *ROLE_CHOICES],
        error_messages={"required": "Choose one role.", "invalid_choice": "Choose one of the four roles."},
        help_text="What they may do in the app. One role per person.",
    )


class StaffCreateForm(_StaffFields):
    username = forms.CharField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text="What they type to sign in, e.g. sjones. Letters, digits and @ . + - _ only.",
    )
    field_order = ["first_name", "last_name", "username", "email", "role"]

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(f"The username “{username}” is taken (usernames ignore case).")
        return username


class StaffEditForm(_StaffFields):
    pass


class SecondFactorResetForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded on their page with your name, e.g. “lost phone, identity checked in person”.",
        error_messages={"required": "Say why you are resetting it."},
    )
