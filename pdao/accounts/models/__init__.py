from pdao.accounts.models.organisation import Organisation
from pdao.accounts.models.user import RoleGrant, User

__all__ = ["Organisation", "RoleGrant", "User"]
