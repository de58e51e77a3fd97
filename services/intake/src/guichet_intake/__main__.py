"""``guichet-intake``: run the intake service alone."""

from guichet_core.entrypoint import serve
from guichet_intake.bootstrap import SPEC
from guichet_intake.settings import IntakeSettings


def main() -> None:
    serve(SPEC, IntakeSettings())


if __name__ == "__main__":
    main()
