from django.db import models


class Commissioner(models.Model):
    """An NHS Integrated Care Board that commissions (funds) NHS infusions."""

    name = models.CharField(max_length=200)
    ods_code = models.CharField(
        "ODS code", max_length=3, unique=True, help_text="Three characters, e.g. QE1."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("manage_prices", "Can manage price lists, packages and insurers"),
            ("view_reports", "Can see clinic reports"),
        ]

    def __str__(self):
        return f"{self.name} ({self.ods_code})"


class Insurer(models.Model):
    name = models.CharField(max_length=200, unique=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
