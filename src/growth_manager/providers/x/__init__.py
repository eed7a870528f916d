"""X (API v2): everything this product knows about X lives in this folder."""

from growth_manager.providers.x.descriptor import DESCRIPTOR
from growth_manager.providers.x.provider import XProvider

__all__ = ["DESCRIPTOR", "XProvider"]
