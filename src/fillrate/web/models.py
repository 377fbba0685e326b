from django.conf import settings
from django.db import models


class ImportUpload(models.Model):
    """A CSV file uploaded on the Import page, kept between its preview and
    the confirmation under a one-time token, so what is confirmed is what
    was previewed (web processes share nothing but the database)."""

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32)
    filename = models.CharField(max_length=255, blank=True)
    content = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.filename}"


class FormSubmission(models.Model):
    """A state-changing web form that took effect, claimed by its one-time key.

    The key is rendered into the form (`{% form_key %}`); the row is written
    in the transaction that runs the form's view, so the same form sent again
    (Back and save, a double click, a reload that re-posts) finds it and gets
    the first outcome instead of a second effect. Unique per (user, key): a
    concurrent duplicate waits on the unique index until the first commits.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    path = models.CharField(max_length=255)
    status_code = models.PositiveSmallIntegerField(null=True)
    location = models.CharField(max_length=2000, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="form_submission_user_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.path} -> {self.status_code}"


class PublicPageHit(models.Model):
    """One request to a public page (the customer's choice page) from one
    address, kept for the page's rate limit (`fillrate.web.choice_views`):
    web processes share nothing but the database."""

    address = models.CharField(max_length=45)
    bad_link = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["address", "created_at"])]

    def __str__(self) -> str:
        return f"{self.address} {self.created_at:%H:%M:%S}"
