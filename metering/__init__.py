"""Metering: what each call cost and what Trimline saved. No mitmproxy import here."""
