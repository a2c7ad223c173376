"""The mitmproxy-facing side of Trimline: the addon, wire formats, the CLI."""
