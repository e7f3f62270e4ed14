"""Pure rendering functions: no database access. Markdown → safe HTML, steps → numbers."""
