"""Logging in: passwords with throttling (`login`), portal sessions with CSRF
tokens (`sessions`, `csrf`), OAuth2 bearer tokens (`tokens`) and partner API keys
(`api_keys`). `principal` turns any of them into the caller the routes scope by."""
