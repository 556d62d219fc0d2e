"""Outgoing mail: composing branded messages (documents, account mail), and
handing them to a transport (an SMTP server, or the embedded outbox folder)."""
