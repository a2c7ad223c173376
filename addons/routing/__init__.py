"""Routing: send mechanical turns to a smaller model of the same provider when it is cheaper.

``features`` (what a request carries), ``memory`` (the session's recent calls),
``rules`` (the rules file), ``cost`` (both models' cost for the turn, caches counted),
``models`` (which smaller model), ``decide`` (one decision), ``adapt`` (the body for
the target), ``step`` (the addon step with its fallback), ``explain`` (``trimline route``).
"""
