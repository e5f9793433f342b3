from pdao.core import context


class RequestContextMiddleware:
    """Gives every request an id (echoed as X-Request-ID) and its client address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ctx = context.RequestContext(
            request_id=context.request_id_from(request), ip=context.client_ip(request)
        )
        request.request_id = ctx.request_id
        token = context.activate(ctx)
        try:
            response = self.get_response(request)
        finally:
            context.deactivate(token)
        response["X-Request-ID"] = ctx.request_id
        return response
