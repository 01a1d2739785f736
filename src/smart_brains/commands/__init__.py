"""One module per command of ``smart-brains``: ``add_arguments(parser)`` declares its flags,
every choice and default taken from the registry or config dataclass that owns it, and
``run(args) -> exit code`` calls the library and prints. No file work here: the library
writes. ``cli.py`` is the index; it imports only the module of the command being run."""
