"""``guichet-consultation``: run the consultation service alone."""

from guichet_consultation.bootstrap import SPEC
from guichet_consultation.settings import ConsultationSettings
from guichet_core.entrypoint import serve


def main() -> None:
    settings = ConsultationSettings()  # built once, here, and passed down
    serve(SPEC, settings)


if __name__ == "__main__":
    main()
