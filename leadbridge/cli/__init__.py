"""The `leadbridge` command line (Typer + Rich), a thin layer over the library."""
