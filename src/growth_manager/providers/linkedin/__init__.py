"""LinkedIn: everything this product knows about LinkedIn lives in this folder."""

from growth_manager.providers.linkedin.descriptor import DESCRIPTOR
from growth_manager.providers.linkedin.provider import LinkedInProvider

__all__ = ["DESCRIPTOR", "LinkedInProvider"]
