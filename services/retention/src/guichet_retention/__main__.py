"""``guichet-retention``: run the retention service alone."""

from guichet_core.entrypoint import serve
from guichet_retention.app import SPEC
from guichet_retention.settings import RetentionSettings


def main() -> None:
    serve(SPEC, RetentionSettings())


if __name__ == "__main__":
    main()
