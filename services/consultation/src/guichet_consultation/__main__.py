"""``guichet-consultation``: run the consultation service alone."""

from guichet_consultation.app import SPEC
from guichet_consultation.settings import ConsultationSettings
from guichet_core.entrypoint import serve


def main() -> None:
    serve(SPEC, ConsultationSettings())


if __name__ == "__main__":
    main()
