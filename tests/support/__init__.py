"""Helpers the tests share: form posts with their CSRF token, local stand-ins for outside
services (localstripe, a recording HTTP server)."""
