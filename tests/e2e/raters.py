"""Annotators on a pty for the end-to-end tests: press a rating key, wait for the screen to move on."""

from __future__ import annotations

from collections.abc import Callable, Collection

from tests.e2e.conftest import TIMEOUT
from tests.e2e.ptyapp import PtyApp

#: The all-done screen's footer; its only key not on the annotation screen.
DONE_SCREEN = b"revisit skipped"


class Rater:
    """One annotator pressing a rating key each time the screen acknowledges the last one.

    KEY is the rating key, or a function that picks one per press. `shown`
    lists the items the header showed, in order; `pressed` the key sent on
    each, so once `done`, item `shown[i]` was rated with `pressed[i]`. Given
    IDS, the item ids there are, anything else read off the header is not an
    item (a header repainted in part, say) and is passed over.
    """

    def __init__(
        self, app: PtyApp, key: str | Callable[[], str], ids: Collection[str] | None = None
    ) -> None:
        self.app = app
        self.key = key
        self.ids = ids
        app.wait_for(lambda _: bool(self.items_shown(0)), TIMEOUT)
        self.current = self.items_shown(0)[-1]
        self.shown = [self.current]
        self.pressed: list[str] = []
        self.mark = -1  # output offset of the unacknowledged key press, or -1
        self.done = False

    def items_shown(self, start: int) -> list[str]:
        """The item ids the header showed after output offset START."""
        found = self.app.item_ids(start)
        return found if self.ids is None else [i for i in found if i in self.ids]

    def press(self) -> None:
        key = self.key if isinstance(self.key, str) else self.key()
        self.mark = len(self.app.output)
        self.pressed.append(key)
        self.app.send(key)

    def acknowledged(self) -> bool:
        """True once the screen moved on after the last press (another item, or all done)."""
        if self.app.output.find(DONE_SCREEN, self.mark) >= 0:
            self.done = True
            return True
        moved = [i for i in self.items_shown(self.mark) if i != self.current]
        if moved:
            self.current = moved[0]
            self.shown.append(self.current)
            return True
        return False
