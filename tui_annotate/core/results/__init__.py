"""What the core returns to the front ends: frozen dataclasses, each with one `to_json()`.

`--json` prints `to_json()` byte for byte as the dicts did before (scripts read those keys, in
that order); the CLI printers and the results screen read attributes. One idea per module:
thresholds, the alpha summary every report shares, the table rows, a round's result and status,
the agreement report. None of them imports numpy: the app shows a stored result without it.
"""
