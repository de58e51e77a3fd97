"""``guichet-regional-decision``: run the regional-decision service alone."""

from guichet_core.entrypoint import serve
from guichet_regional_decision.bootstrap import SPEC
from guichet_regional_decision.settings import RegionalDecisionSettings


def main() -> None:
    serve(SPEC, RegionalDecisionSettings())  # ``serve`` builds the app as ``build`` does


if __name__ == "__main__":
    main()
