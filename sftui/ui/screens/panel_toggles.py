"""The main screen's layout keys: ctrl+e (parameters), ctrl+b (sessions), esc (closer to home).

Below 100 columns (the ``-narrow`` breakpoint class) both panels start closed; an explicit
toggle wins over the breakpoint (``-params-on/off``, ``-sidebar-on/off``, see app.tcss).
A mixin of ``MainScreen``, which provides ``panel``, ``sidebar`` and ``prompt_area``.
"""

from __future__ import annotations



class PanelToggles:
    _parameters_choice: bool | None = None
    _sidebar_choice: bool | None = None

    def _parameters_visible(self) -> bool:
        return self._parameters_choice if self._parameters_choice is not None else not self.has_class("-narrow")

    def _set_parameters_choice(self, visible: bool) -> None:
        self._parameters_choice = visible
        self.set_class(visible, "-params-on")
        self.set_class(not visible, "-params-off")
        if not visible and self.focused is not None and self.panel in self.focused.ancestors_with_self:
            self.prompt_area.focus_prompt()

    def action_toggle_parameters(self) -> None:
        self._set_parameters_choice(not self._parameters_visible())

    def _sidebar_visible(self) -> bool:
        return self._sidebar_choice if self._sidebar_choice is not None else not self.has_class("-narrow")

    def action_toggle_sidebar(self) -> None:
        visible = not self._sidebar_visible()
        self._sidebar_choice = visible
        self.set_class(visible, "-sidebar-on")
        self.set_class(not visible, "-sidebar-off")
        if visible:
            self.sidebar.focus()
        elif self.focused is self.sidebar:
            self.prompt_area.focus_prompt()

    def action_home(self) -> None:
        """Esc: first close what the narrow layout opened, then return to the prompt."""
        narrow = self.has_class("-narrow")
        if narrow and self._parameters_choice:
            self._set_parameters_choice(False)
        elif narrow and self._sidebar_choice:
            self.action_toggle_sidebar()
        self.prompt_area.focus_prompt()
