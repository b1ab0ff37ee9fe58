"""The Textual annotation app."""
