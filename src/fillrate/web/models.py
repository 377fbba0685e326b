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
