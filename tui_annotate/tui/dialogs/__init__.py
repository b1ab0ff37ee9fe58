"""Modal dialogs opened over a screen: comment, note, tags, help."""
