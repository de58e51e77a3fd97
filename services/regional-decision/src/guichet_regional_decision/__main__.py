"""``guichet-regional-decision``: run the regional-decision service alone."""

from guichet_core.entrypoint import serve
from guichet_regional_decision.app import SPEC
from guichet_regional_decision.settings import RegionalDecisionSettings


def main() -> None:
    serve(SPEC, RegionalDecisionSettings())


if __name__ == "__main__":
    main()
