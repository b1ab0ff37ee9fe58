"""The pairwise results as text: win-rate bars with their intervals, the ranking, the bias line.

Pure strings (no Rich), so the CLI prints them and a screen could show them
the same. Versions and annotator names are data: the caller prints through
the visible-text filter (cli/output.say).
"""

from __future__ import annotations

from tui_annotate.core.results.pairwise import PairwiseReport, SideShare

#: Columns of a win-rate bar (0 % to 100 %).
BAR = 31


def win_bar(rate: float | None, ci: tuple[float, float] | None, width: int = BAR) -> str:
    """'├──●───┤' on a 0–1 scale with '│' at one half; blanks when there is no rate."""
    cells = [" "] * width
    middle = (width - 1) // 2
    cells[middle] = "│"
    if rate is None or ci is None:
        return "".join(cells)

    def at(x: float) -> int:
        return min(width - 1, max(0, round(x * (width - 1))))

    lo, hi = at(ci[0]), at(ci[1])
    for i in range(lo, hi + 1):
        cells[i] = "─"
    cells[lo], cells[hi] = "├", "┤"
    cells[at(rate)] = "●"
    return "".join(cells)


def _pct(x: float | None) -> str:
    return "  –  " if x is None else f"{100 * x:4.0f}%"


def _p(p: float | None) -> str:
    return "–" if p is None else (f"{p:.3f}" if p >= 0.001 else f"{p:.1e}")


def bias_line(name: str, share: SideShare) -> str:
    warn = "  ⚠ POSITION BIAS (p < 0.05)" if share.flagged else ""
    return f"{name}: left/top chosen {_pct(share.left_share)} of {share.n} decisive votes, p = {_p(share.p)}{warn}"


def lines(result: PairwiseReport) -> list[str]:
    """The whole report, one printable line each."""
    out = [
        f"pairwise task {result.task}: prompt {result.prompt!r}, versions "
        + ", ".join(result.versions)
        + f" — {result.votes} votes",
        "",
        "win rate of b over a (ties count half, both-bad left out), 95% Wilson interval:",
    ]
    for p in result.pairs:
        out.append(
            f"  {p.a} vs {p.b}: b {_pct(p.win_rate_b)} 0%[{win_bar(p.win_rate_b, p.ci)}]100%"
            f"  n={p.n} a={p.a_wins} b={p.b_wins} tie={p.ties} both bad={p.both_bad}"
            f" ({_pct(p.both_bad_share).strip()}), sign test p={_p(p.sign_test_p)}"
        )
    if result.ranking:
        out += ["", "ranking (Bradley–Terry log-strength, 95% bootstrap interval):"]
        for r in result.ranking:
            ci = "–" if r.ci is None else f"[{r.ci[0]:+.2f}, {r.ci[1]:+.2f}]"
            flag = "  (rank uncertain)" if r.rank_uncertain else ""
            out.append(f"  {r.rank}. {r.version}  {r.strength:+.2f} {ci}{flag}")
    out += ["", bias_line("position bias", result.position_bias)]
    for name, share in result.position_bias.per_annotator.items():
        out.append("  " + bias_line(name, share))
    a = result.agreement
    if a.alpha is None:
        out.append(f"agreement: no alpha ({a.units} pairs seen by two or more annotators)")
    else:
        ci = "" if a.ci is None else f" [{a.ci[0]:.3f}, {a.ci[1]:.3f}]"
        out.append(
            f"agreement: Krippendorff's alpha (nominal) {a.alpha:.3f}{ci} over {a.units} pairs"
        )
    return out
