"""An email backend for tests of real processes: each message becomes one file
(<uuid>.eml) in EMAIL_FILE_PATH, written atomically, so a test can count what was sent
and by which Message-ID. With WARMPATH_TEST_EMAIL_DELAY=<seconds> it first leaves a
"sending-<uuid>" marker and waits that long: a test kills the worker during the wait, as
if the SMTP server were slow."""

import os
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


class MessageFileBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        folder = Path(settings.EMAIL_FILE_PATH)
        delay = float(os.environ.get("WARMPATH_TEST_EMAIL_DELAY", "0") or 0)
        for message in email_messages:
            name = uuid.uuid4().hex
            if delay:
                (folder / f"sending-{name}").write_text(message.extra_headers["Message-ID"])
                time.sleep(delay)
            partial = folder / f".{name}.partial"
            partial.write_bytes(message.message().as_bytes())
            partial.rename(folder / f"{name}.eml")
        return len(email_messages)
