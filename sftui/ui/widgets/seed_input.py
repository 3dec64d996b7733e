"""The seed field: a number where -1 means "random at generation", and a Random button."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button

from sftui.db import SEED_MAX
from sftui.ui.widgets.number_input import NumberInput
from sftui.workflows.apply import random_seed

RANDOM = -1
SEED_HELP = "-1 = random: a new seed is drawn for every image; ctrl+r (or Random) rolls one now so you can see and keep it"


class SeedInput(Horizontal):
    """Seed Input (-1 … the workflow's maximum) with a "Random" button."""

    def __init__(self, seed: int | None = RANDOM, *, maximum: int = SEED_MAX, id: str | None = None) -> None:
        super().__init__(id=id)
        self._input = NumberInput(
            seed, label="Seed", integer=True, minimum=RANDOM, maximum=maximum,
            placeholder="-1 = random", id="seed-value", tooltip=SEED_HELP,
        )

    def compose(self) -> ComposeResult:
        yield self._input
        yield Button("Random", id="seed-random", compact=True, tooltip="Roll a random seed now (ctrl+r)")

    @property
    def input(self) -> NumberInput:
        return self._input

    def seed(self) -> int:
        """The seed (-1 for random); ParameterError when refused."""
        return int(self._input.number())  # type: ignore[arg-type]

    def set_seed(self, seed: int | None) -> None:
        self._input.set_number(RANDOM if seed is None else seed)

    def set_maximum(self, maximum: int | None) -> None:
        self._input.set_limits(RANDOM, SEED_MAX if maximum is None else maximum)

    def randomize(self) -> int:
        """Put a fresh concrete seed in the box and return it."""
        upper = self._input.maximum if isinstance(self._input.maximum, int) else SEED_MAX
        seed = random_seed() % (upper + 1)
        self.set_seed(seed)
        return seed

    @on(Button.Pressed, "#seed-random")
    def _roll(self, event: Button.Pressed) -> None:
        event.stop()
        self.randomize()
