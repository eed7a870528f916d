"""Meta: Facebook Pages and Instagram business accounts, through one Facebook Login and the
Graph API. Everything this product knows about either lives in this folder."""

from growth_manager.providers.meta.descriptor import FACEBOOK, INSTAGRAM
from growth_manager.providers.meta.provider import FacebookProvider, InstagramProvider

__all__ = ["FACEBOOK", "INSTAGRAM", "FacebookProvider", "InstagramProvider"]
