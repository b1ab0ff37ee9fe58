"""The minimum detectable effect of a paired pass-rate comparison, so "no difference" has a size.

For n paired cases with a share ψ of discordant pairs (PASS→FAIL or FAIL→PASS),
the paired difference d̂ = (fail_to_pass − pass_to_fail)/n has, near no change,
variance ≈ ψ/n (McNemar's normal approximation). A two-sided test at α = 0.05
with 80 % power then detects

    MDE = (z₀.₉₇₅ + z₀.₈₀) · √(ψ / n),   z₀.₉₇₅ = 1.959964, z₀.₈₀ = 0.841621,

capped at 1. ψ is the observed discordant share. With no discordant pair ψ
would be 0 and the MDE a false 0, so we assume ψ = min(1, 3/n), the rule-of-three
95 % upper bound on a share never observed: conservative, and shrinking with n.
None at n = 0: nothing was compared.
"""

from __future__ import annotations

import math

from tui_annotate.core.decide.stats import Z95

#: The 80th percentile of the standard normal (power 0.8).
Z80 = 0.841621


def paired_mde(n_pairs: int, discordant: int) -> float | None:
    """The smallest |pass-rate change| n_pairs detect with 80 % power (two-sided 5 %)."""
    if n_pairs <= 0:
        return None
    share = discordant / n_pairs if discordant > 0 else min(1.0, 3.0 / n_pairs)
    return min(1.0, (Z95 + Z80) * math.sqrt(share / n_pairs))
