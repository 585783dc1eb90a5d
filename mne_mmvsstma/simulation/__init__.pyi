__all__ = [
    "simulate_seed",
    "simulate_seed_iv",
    "simulate_seed_v",
]

from .seed import (
    simulate_seed,
)
from .seed_iv import (
    simulate_seed_iv,
)
from .seed_v import (
    simulate_seed_v,
)
