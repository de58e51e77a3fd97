"""``guichet-retention``: run the retention service alone."""

from guichet_core.entrypoint import serve
from guichet_retention.bootstrap import SPEC
from guichet_retention.settings import RetentionSettings


def main() -> None:
    settings = RetentionSettings()  # built once, here, and passed down
    serve(SPEC, settings)


if __name__ == "__main__":
    main()
