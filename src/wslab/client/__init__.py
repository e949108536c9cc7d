"""The chat's clients: the terminal chat, its error texts, room order, the invitation to join,
and the browser page."""
