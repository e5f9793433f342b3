from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassPasswordValidator:
    """At least three of: lower-case letters, upper-case letters, digits, other characters
    (the usual rule of China's 等保 2.0 password-complexity requirement)."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_character_classes")

    def get_help_text(self) -> str:
        return _("密码须包含小写字母、大写字母、数字、其他符号中的至少三类。")
