class ApiError(Exception):
    """A 4xx answer of the JSON API: a stable code for machines, a message in Chinese and
    English for people. Rendered by the handler in pdao.api as {"code", "message"}."""

    def __init__(self, status: int, code: str, zh: str, en: str):
        super().__init__(code)
        self.status, self.code, self.message = status, code, f"{zh} / {en}"
