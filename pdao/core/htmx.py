def is_htmx(request) -> bool:
    """True for a request HTMX made to swap part of a page (it then gets only that part)."""
    return request.headers.get("HX-Request") == "true"
