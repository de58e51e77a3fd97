"""``guichet-residence-decision``: run the residence-decision service alone."""

from guichet_core.entrypoint import serve
from guichet_residence_decision.bootstrap import SPEC
from guichet_residence_decision.settings import ResidenceDecisionSettings


def main() -> None:
    serve(SPEC, ResidenceDecisionSettings())  # ``serve`` builds the app as ``build`` does


if __name__ == "__main__":
    main()
