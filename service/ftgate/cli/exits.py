"""The exit codes of `ftgate`, the same for every command (a gate reads them)."""

EXIT_OK = 0
EXIT_ALLOWED = 0  # check: fine-tuning may go ahead
EXIT_ERROR = 1  # the command could not do its work (server unreachable, internal error)
EXIT_BAD_INPUT = 2  # a file, a field or a flag the user must fix, named on stderr
EXIT_NOT_ALLOWED = 3  # check: do not fine-tune
EXIT_NEEDS_INFO = 4  # check: information is missing to decide
EXIT_INTERRUPTED = 130



class CommandFailed(Exception):
    """A command ends here: `message` on stderr (after the command's name), `exit_code`."""

    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code, self.message = exit_code, message


VERDICT_EXIT = {"FINE_TUNE": EXIT_ALLOWED, "DO_NOT_FINE_TUNE": EXIT_NOT_ALLOWED,
                "NEEDS_INFORMATION": EXIT_NEEDS_INFO}  # by verdict (ftgate.enums short names)
