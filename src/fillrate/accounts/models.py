from django.contrib.auth.models import AbstractUser
from django.db import models

from fillrate.accounts.permissions import Role


class User(AbstractUser):
    role = models.CharField(max_length=16, choices=[(r.value, r.value) for r in Role])

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="user_role_known"
            )
        ]

    def can(self, permission: str) -> bool:
        from fillrate.accounts.permissions import has_permission

        return self.is_active and has_permission(self.role, permission)


class ApiToken(models.Model):
    """An API token. Only its SHA-256 digest is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    name = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class LoginFailure(models.Model):
    """A wrong password at the sign-in page, kept for the lockout
    (`fillrate.accounts.throttle`); a success clears the user's rows."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.CharField(max_length=45, db_index=True)
    created_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.username} from {self.address} at {self.created_at:%Y-%m-%d %H:%M:%S}"
